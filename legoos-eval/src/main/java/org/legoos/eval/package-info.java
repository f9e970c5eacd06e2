/**
 * The paper's evaluation on LegoOS/J ({@code lego bench}): each workload against its plain-Java twin at several
 * ExCache sizes over the in-JVM transport and over TCP between separate processes, plus the memory-throughput,
 * storage and ExCache-technique tables. Results go to a table on the terminal, CSV files and PNG plots.
 */
package org.legoos.eval;
