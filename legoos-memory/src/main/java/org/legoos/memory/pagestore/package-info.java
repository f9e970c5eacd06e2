/**
 * Physical memory of a memory component: off-heap 4 KiB page frames ({@link org.legoos.memory.pagestore.PageStore})
 * and the per-address-space map from virtual page to frame ({@link org.legoos.memory.pagestore.PageTable}).
 */
package org.legoos.memory.pagestore;
