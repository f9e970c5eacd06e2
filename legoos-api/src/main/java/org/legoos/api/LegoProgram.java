package org.legoos.api;

/**
 * A LegoOS/J program: the equivalent of an ELF binary's {@code main}. The process monitor of the
 * processor component the GPM chose loads the class (from a jar stored in the vNode's file system, or
 * from the bundled examples) in its own class loader and calls {@link #main} on a fresh thread.
 *
 * <p>Every byte the program keeps in {@link LegoContext#memory()} lives on memory components; the
 * processor holds only the hot part in its ExCache. Plain Java heap objects are allowed (they are the
 * program's "registers and stack"), but large data belongs in the disaggregated address space.
 */
@FunctionalInterface
public interface LegoProgram {
    /**
     * Runs the program.
     *
     * @return the exit code reported to whoever launched the process (0 is success)
     * @throws Exception any exception ends the process with exit code 1 (or 139 for {@link SegmentationFault});
     *     its message and stack trace go to the process's stderr
     */
    int main(LegoContext ctx, String[] args) throws Exception;
}
