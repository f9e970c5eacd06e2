/**
 * The ExCache (LegoOS's pcache): a processor component's DRAM used as a set-associative, virtually indexed and
 * tagged cache of its processes' memory, which lives on memory components. {@link
 * org.legoos.processor.excache.ExCache} is the cache, {@link org.legoos.processor.excache.LineBackend} is how
 * lines are fetched and written back (misses, piggybacked and separate flushes), {@link
 * org.legoos.processor.excache.EvictionPolicy} chooses victims (FIFO, CLOCK, random). Beyond LegoOS, the cache
 * prefetches the next pages of each thread's sequential or strided miss streams in the same message as the miss
 * ({@code StreamDetector}, {@link org.legoos.processor.excache.LineBackend#fillBatch}); prefetch and piggyback are
 * switches of {@link org.legoos.processor.excache.ExCacheConfig}.
 */
package org.legoos.processor.excache;
