/**
 * The storage monitor (sComponent) of LegoOS/J: a stateless file service, one local directory per vNode.
 *
 * <p>Start at {@link org.legoos.storage.StorageMonitor}: it serves the P2S link (file metadata and
 * directories, from process monitors), the M2S link (block reads, write-backs and fsync from memory
 * monitors' storage buffer caches) and {@code GM_STORAGE_ATTACH} from the GSM. Its hash table of open files
 * is {@code OpenFileTable}; the lexical path rules are in {@code PathNormalizer}. Configuration:
 * {@link org.legoos.storage.StorageConfig}.
 */
package org.legoos.storage;
