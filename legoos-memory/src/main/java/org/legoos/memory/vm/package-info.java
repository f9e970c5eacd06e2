/**
 * Virtual memory on memory components: the home role ({@link org.legoos.memory.vm.HomeNode}) that keeps a
 * process's VMA tree and places its vRegions, the owner role ({@link org.legoos.memory.vm.VRegionOwner})
 * that serves ExCache misses and flushes inside owned vRegions, and the address-space
 * {@link org.legoos.memory.vm.Layout}.
 */
package org.legoos.memory.vm;
