/**
 * The paper's micro-benchmark tables on LegoOS/J: memory throughput ({@link org.legoos.eval.micro.MemoryThroughput}
 * running {@link org.legoos.eval.micro.SeqLoadProgram}) and storage throughput
 * ({@link org.legoos.eval.micro.StorageThroughput} running {@link org.legoos.eval.micro.StorageBenchProgram} against a
 * local file), over the in-JVM transport and loopback TCP, with the paper's own numbers alongside
 * ({@link org.legoos.eval.micro.PaperFigures}). Drivers report progress through {@link org.legoos.eval.Progress}.
 * The cost of a hit in thread and process mode: {@link org.legoos.eval.micro.HitLoads} running
 * {@link org.legoos.eval.micro.HitLoadProgram}.
 */
package org.legoos.eval.micro;
