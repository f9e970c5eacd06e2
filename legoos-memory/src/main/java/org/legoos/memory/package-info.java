/**
 * The memory monitor of LegoOS/J (an mComponent): {@link org.legoos.memory.MemoryMonitor} and its
 * configuration. Subpackages: {@code vm} (home role, vRegions and VMA trees, vRegion owner role),
 * {@code pagestore} (off-heap page frames and per-address-space page tables), {@code cache} (storage
 * buffer cache).
 */
package org.legoos.memory;
