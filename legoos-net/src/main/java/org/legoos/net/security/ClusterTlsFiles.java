package org.legoos.net.security;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

/**
 * Reads the files of a security directory ({@link CertificateNames}) with the errors {@link ClusterTls} gives: what
 * the issuer ({@code lego certs}) needs besides loading an identity.
 */
public final class ClusterTlsFiles {
    private ClusterTlsFiles() {
    }

    /** The cluster CA's certificate. */
    public static X509Certificate caCertificate(Path dir) {
        return ClusterTls.readCertificate(dir.resolve(CertificateNames.CA_CERT), "the cluster CA's certificate");
    }

    /** The cluster CA's key (only where certificates are issued). */
    public static PrivateKey caKey(Path dir) {
        return ClusterTls.readKey(dir.resolve(CertificateNames.CA_KEY));
    }

    /** The private key of identity {@code name}. */
    public static PrivateKey key(Path dir, String name) {
        return ClusterTls.readKey(CertificateNames.key(dir, name));
    }

    /** The certificate of identity {@code name}. */
    public static X509Certificate certificate(Path dir, String name) {
        return ClusterTls.readCertificate(CertificateNames.certificate(dir, name), "the certificate of '" + name + "'");
    }

    /** The revocation list, checked against the CA's signature; null if there is none. */
    public static X509CRL crl(Path dir, X509Certificate ca) {
        return ClusterTls.ClusterTrustManager.readCrl(dir.resolve(CertificateNames.CRL), ca);
    }
}
