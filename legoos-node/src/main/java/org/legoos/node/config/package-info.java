/**
 * The configuration of a LegoOS/J deployment: one {@code lego.yaml} with a section per component kind
 * ({@code manager}, {@code processor}, {@code memory}, {@code storage}) and one for {@code lego up}
 * ({@code cluster}). Every key ({@link org.legoos.node.config.ConfigKeys}) has a type with units
 * ({@code 64MiB}, {@code 500ms}), a default and a description; {@link org.legoos.node.config.LegoConfig} loads a
 * file, applies {@code key=value} overrides, rejects unknown keys and bad values with a message naming the key
 * ({@link org.legoos.node.config.ConfigException}), and builds each monitor's own configuration record.
 */
package org.legoos.node.config;
