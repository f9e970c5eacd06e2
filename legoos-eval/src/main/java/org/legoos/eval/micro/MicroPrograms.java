package org.legoos.eval.micro;

import java.util.Map;
import org.legoos.api.LegoProgram;

/**
 * The micro-benchmark programs by the short names the drivers start them under, for the {@code extraPrograms}
 * map of {@link org.legoos.node.LocalCluster} and {@link org.legoos.node.cluster.TcpCluster} (or a processor
 * component started by {@code lego up}). Immutable.
 */
public final class MicroPrograms {
    private MicroPrograms() {
    }

    /** {@value SeqLoadProgram#NAME}, {@value StorageBenchProgram#NAME} and {@value HitLoadProgram#NAME}. */
    public static Map<String, Class<? extends LegoProgram>> all() {
        return Map.of(SeqLoadProgram.NAME, SeqLoadProgram.class, StorageBenchProgram.NAME, StorageBenchProgram.class,
                HitLoadProgram.NAME, HitLoadProgram.class);
    }
}
