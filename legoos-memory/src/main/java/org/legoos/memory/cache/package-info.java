/**
 * The storage buffer cache LegoOS keeps on memory components: file chunks with LRU replacement, filled from
 * and written back to storage components ({@link org.legoos.memory.cache.BufferCache}).
 */
package org.legoos.memory.cache;
