package org.legoos.node;

import java.util.HashMap;
import java.util.Map;
import org.legoos.api.LegoProgram;
import org.legoos.examples.Examples;
import org.legoos.task.loader.ProgramLoader;
import org.legoos.wasm.WasmProgram;

/**
 * The programs every processor component can run without a jar: the bundled examples by their short names, and the
 * WebAssembly/WASI runner ({@value ProgramLoader#WASM_RUNNER}) that runs a {@code .wasm} binary of the vNode's file
 * system, with the Chicory runtime its task JVM needs on its class path. Stateless.
 */
public final class Programs {
    private Programs() {
    }

    /** The bundled programs and {@code extra} (a name in {@code extra} wins), with the libraries each needs. */
    public static ProgramLoader loader(Map<String, Class<? extends LegoProgram>> extra) {
        Map<String, Class<? extends LegoProgram>> programs = new HashMap<>(Examples.bundled());
        programs.put(ProgramLoader.WASM_RUNNER, WasmProgram.class);
        programs.putAll(extra);
        return new ProgramLoader(programs, Map.of(WasmProgram.class, WasmProgram.libraries()));
    }
}
