/**
 * Who may do what in a cluster: the {@link org.legoos.api.security.Role roles} cluster certificates carry and the
 * {@link org.legoos.api.security.Principal} a connection authenticated.
 */
package org.legoos.api.security;
