package org.legoos.net.security;

import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.legoos.api.security.Principal;
import org.legoos.api.security.Role;

/**
 * How a cluster certificate says who it is, and where a security directory keeps its files: the one place both the
 * issuer ({@code lego certs}) and every verifier read.
 *
 * <p>A certificate's subject common name is the identity's name ({@code memory-1}, {@code admin}, {@code alice});
 * its subject alternative names carry, besides the host names and IP addresses of a component, one URI
 * {@code urn:legoos:role:<role>} and, for a vNode user, one URI {@code urn:legoos:vnode:<name>} per vNode.
 *
 * <p>Files of a security directory: {@value #CA_CERT} (the cluster CA's certificate, the only trust anchor),
 * {@value #CA_KEY} (its key, needed only where certificates are issued), {@code NAME.crt} and {@code NAME.key}
 * (one identity, PEM, the key PKCS#8 and readable by its owner only) and {@value #CRL} (the revocation list the CA
 * signed, optional).
 */
public final class CertificateNames {
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String CRL = "revoked.crl";
    /** Prefix of the SAN URI naming the role. */
    public static final String ROLE_URI = "urn:legoos:role:";
    /** Prefix of the SAN URIs naming a user's vNodes. */
    public static final String VNODE_URI = "urn:legoos:vnode:";
    /** What an identity's name may be: it becomes a file name and a log word. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** SAN type of a URI (RFC 5280). */
    private static final int SAN_URI = 6;

    private CertificateNames() {
    }

    /** The certificate file of identity {@code name} in {@code dir}. */
    public static Path certificate(Path dir, String name) {
        return dir.resolve(checkName(name) + ".crt");
    }

    /** The key file of identity {@code name} in {@code dir}. */
    public static Path key(Path dir, String name) {
        return dir.resolve(checkName(name) + ".key");
    }

    /**
     * Returns {@code name} if it can name an identity (letters, digits, {@code . _ -}, at most 64, not starting with
     * a punctuation mark).
     *
     * @throws IllegalArgumentException otherwise, naming the rule
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("an identity's name is 1-64 letters, digits, '.', '_' or '-', starting with a"
                    + " letter or digit; got '" + name + "'");
        }
        return name;
    }

    /**
     * Who a cluster certificate says it is.
     *
     * @throws java.security.cert.CertificateException if it names no role, an unknown one, two roles, or vNodes for a
     *     role other than user
     */
    public static Principal principalOf(X509Certificate cert) throws java.security.cert.CertificateException {
        String name = commonName(cert);
        Role role = null;
        Set<String> vnodes = new LinkedHashSet<>();
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new java.security.cert.CertificateException("certificate '" + name + "' has unreadable alternative names", e);
        }
        if (sans != null) {
            for (List<?> san : sans) {
                if (san.size() < 2 || !(san.get(0) instanceof Integer type) || type != SAN_URI) {
                    continue;
                }
                String uri = String.valueOf(san.get(1));
                if (uri.startsWith(ROLE_URI)) {
                    Role r = Role.byWireName(uri.substring(ROLE_URI.length()));
                    if (r == null || role != null) {
                        throw new java.security.cert.CertificateException("certificate '" + name + "' names "
                                + (r == null ? "an unknown role " + uri : "two roles"));
                    }
                    role = r;
                } else if (uri.startsWith(VNODE_URI)) {
                    vnodes.add(uri.substring(VNODE_URI.length()));
                }
            }
        }
        if (role == null) {
            throw new java.security.cert.CertificateException("certificate '" + name + "' (" + cert.getSubjectX500Principal()
                    + ") is no LegoOS/J cluster certificate: it names no role");
        }
        if (role != Role.USER && !vnodes.isEmpty()) {
            throw new java.security.cert.CertificateException("certificate '" + name + "' of role " + role.wireName()
                    + " names vNodes");
        }
        return Principal.of(name, role, vnodes);
    }

    /** The subject's common name, or the whole subject if it has none. */
    public static String commonName(X509Certificate cert) {
        String subject = cert.getSubjectX500Principal().getName();
        try {
            for (Rdn rdn : new LdapName(subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            // fall through: the whole subject names it
        }
        return subject;
    }
}
