package org.legoos.net.security;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.legoos.api.security.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One identity of a cluster, ready for mutual TLS 1.3: its key and certificate, the cluster CA as the only trust
 * anchor, and the CA's revocation list. Built once per process from a security directory
 * ({@link CertificateNames}); the TCP transport takes its contexts at wiring time.
 *
 * <p>A peer is accepted only if its certificate chains to the cluster CA, is within its validity period, is not on
 * the revocation list (re-read whenever the file changes) and names a role ({@link CertificateNames#principalOf}).
 * Outbound, the peer must also be a component and present a certificate for the host name or address dialled
 * (HTTPS-style endpoint identification), so that a stolen operator or user certificate cannot play a component.
 *
 * <p>Thread-safe and immutable but for the revocation list it re-reads.
 */
public final class ClusterTls {
    private static final Logger log = LoggerFactory.getLogger(ClusterTls.class);
    private static final String[] PROTOCOLS = {"TLSv1.3"};

    private final Path dir;
    private final Principal self;
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final X509Certificate ca;
    private final ClusterTrustManager trust;
    private final boolean preferOpenSsl;
    /** Run when the revocation list in force changes here: transports close connections of peers it revokes. */
    private final java.util.List<Runnable> revocationListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Built on first use: a client needs one context, not three (each costs a JVM start tens to hundreds of ms). */
    private SslProvider provider;
    private SslContext server;
    private SslContext client;
    private SSLContext jdkClient;

    private ClusterTls(Path dir, PrivateKey key, X509Certificate certificate, X509Certificate ca, boolean preferOpenSsl)
            throws GeneralSecurityException, IOException {
        this.dir = dir;
        this.key = key;
        this.certificate = certificate;
        this.ca = ca;
        this.self = CertificateNames.principalOf(certificate);
        this.trust = new ClusterTrustManager(pkix(ca), dir.resolve(CertificateNames.CRL), ca);
        this.preferOpenSsl = preferOpenSsl;
    }

    /**
     * Loads identity {@code name} from security directory {@code dir}, with BoringSSL where it loads.
     *
     * @throws SecurityConfigException naming the file and what is wrong with it: missing, unreadable, not PEM, key
     *     and certificate not a pair, certificate not issued by the directory's CA, expired or not yet valid, revoked,
     *     or naming no role
     */
    public static ClusterTls load(Path dir, String name) {
        return load(dir, name, true);
    }

    /** {@link #load(Path, String)} choosing the provider: {@code preferOpenSsl} false forces the JDK's. */
    public static ClusterTls load(Path dir, String name, boolean preferOpenSsl) {
        Objects.requireNonNull(dir, "dir");
        CertificateNames.checkName(name);
        Path caFile = dir.resolve(CertificateNames.CA_CERT);
        Path certFile = CertificateNames.certificate(dir, name);
        Path keyFile = CertificateNames.key(dir, name);
        X509Certificate ca = readCertificate(caFile, "the cluster CA's certificate");
        X509Certificate cert = readCertificate(certFile, "the certificate of '" + name + "'");
        PrivateKey key = readKey(keyFile);
        warnIfReadableByOthers(keyFile);
        try {
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new SecurityConfigException(certFile + " was not issued by the cluster CA in " + caFile
                    + " (a certificate of another cluster?)");
        }
        try {
            cert.checkValidity();
        } catch (CertificateException e) {
            throw new SecurityConfigException(certFile + " is not valid now (valid " + cert.getNotBefore() + " to "
                    + cert.getNotAfter() + "): issue a new one with 'lego certs'");
        }
        if (!cert.getPublicKey().equals(derivePublic(key, cert))) {
            throw new SecurityConfigException(keyFile + " is not the key of " + certFile);
        }
        X509CRL crl = ClusterTrustManager.readCrl(dir.resolve(CertificateNames.CRL), ca);
        if (crl != null && crl.isRevoked(cert)) {
            throw new SecurityConfigException(certFile + " ('" + name + "') is revoked by " + dir.resolve(CertificateNames.CRL));
        }
        try {
            return new ClusterTls(dir, key, cert, ca, preferOpenSsl);
        } catch (GeneralSecurityException | IOException e) {
            throw new SecurityConfigException("cannot set up TLS for '" + name + "' from " + dir + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ revocation

    /**
     * Runs {@code listener} each time the revocation list in force changes ({@link #install}, {@link #recheckRevocations}).
     * A transport registers here to close the open connections of peers a new list revokes: a handshake checks a
     * certificate once, so without this a revoked peer keeps what it has open.
     */
    public void onRevocation(Runnable listener) {
        revocationListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Stops telling {@code listener} (a transport that closed). */
    public void removeRevocationListener(Runnable listener) {
        revocationListeners.remove(listener);
    }

    /** True if the revocation list in force (the file re-read if it changed) revokes {@code certificate}. */
    public boolean isRevoked(X509Certificate certificate) {
        try {
            X509CRL crl = trust.crl();
            return crl != null && crl.isRevoked(certificate);
        } catch (CertificateException damaged) {
            return true; // a damaged list refuses everyone until it is fixed, as the handshake does
        }
    }

    /** The revocation list in force, as its file holds it (PEM); empty if there is none. */
    public byte[] revocationList() {
        try {
            return Files.isRegularFile(trust.crlFile) ? Files.readAllBytes(trust.crlFile) : new byte[0];
        } catch (IOException e) {
            throw new SecurityConfigException("cannot read " + trust.crlFile + ": " + e.getMessage());
        }
    }

    /**
     * Takes {@code encoded} (PEM or DER) as the revocation list in force if the cluster CA signed it and it is newer
     * than the one here (issued later, or as late and revoking more), writing it atomically over this directory's
     * {@code revoked.crl}; then tells the listeners, so connections of peers it revokes close.
     *
     * @return true if it replaced the list here, false if this one was as new already
     * @throws SecurityConfigException if it is not a revocation list signed by this cluster's CA
     */
    public boolean install(byte[] encoded) {
        X509CRL offered;
        try (InputStream in = new ByteArrayInputStream(encoded)) {
            offered = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
            offered.verify(ca.getPublicKey());
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new SecurityConfigException("not a revocation list signed by the cluster CA: " + e.getMessage());
        }
        boolean replaced;
        synchronized (trust) {
            X509CRL current;
            try {
                current = trust.crl();
            } catch (CertificateException damaged) {
                current = null; // a good list replaces a damaged file
            }
            replaced = current == null || newer(offered, current);
            if (replaced) {
                Path tmp = trust.crlFile.resolveSibling(CertificateNames.CRL + ".tmp");
                try {
                    Files.write(tmp, encoded);
                    Files.move(tmp, trust.crlFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new SecurityConfigException("cannot write " + trust.crlFile + ": " + e.getMessage());
                }
                trust.forget();
                log.info("{}: revocation list of {} installed ({} revoked)", self, offered.getThisUpdate(),
                        offered.getRevokedCertificates() == null ? 0 : offered.getRevokedCertificates().size());
            }
        }
        recheckRevocations();
        return replaced;
    }

    /** Issued later, or at the same time (CRL times have whole seconds) revoking everything {@code current} does and more. */
    private static boolean newer(X509CRL offered, X509CRL current) {
        int byTime = offered.getThisUpdate().compareTo(current.getThisUpdate());
        if (byTime != 0) {
            return byTime > 0;
        }
        Set<java.math.BigInteger> had = serials(current);
        Set<java.math.BigInteger> has = serials(offered);
        return has.containsAll(had) && has.size() > had.size();
    }

    private static Set<java.math.BigInteger> serials(X509CRL crl) {
        Set<java.math.BigInteger> out = new java.util.HashSet<>();
        if (crl.getRevokedCertificates() != null) {
            crl.getRevokedCertificates().forEach(e -> out.add(e.getSerialNumber()));
        }
        return out;
    }

    /** Tells the listeners to look at the revocation list in force again (after this directory's file changed). */
    public void recheckRevocations() {
        for (Runnable r : revocationListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("{}: a revocation listener failed: {}", self, e.toString());
            }
        }
    }

    /** The identity this process presents. */
    public Principal self() {
        return self;
    }

    /** The security directory it was loaded from. */
    public Path directory() {
        return dir;
    }

    /** Which TLS implementation the Netty side uses: {@code OPENSSL} (BoringSSL) or {@code JDK}. */
    public synchronized String providerName() {
        return provider().name();
    }

    /**
     * BoringSSL if preferred and its native library loads (loading it costs a JVM about a second, which a long-lived
     * component pays once and a one-shot client should not), else the JDK's.
     */
    private synchronized SslProvider provider() {
        if (provider == null) {
            provider = preferOpenSsl && OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        }
        return provider;
    }

    /** The server side of an accepted socket (client certificate required). */
    public synchronized SslContext server() {
        if (server == null) {
            server = build(SslContextBuilder.forServer(key, certificate).clientAuth(ClientAuth.REQUIRE));
        }
        return server;
    }

    /** The client side of an outbound socket (host name verified against the peer's certificate). */
    public synchronized SslContext client() {
        if (client == null) {
            client = build(SslContextBuilder.forClient().keyManager(key, certificate).endpointIdentificationAlgorithm("HTTPS"));
        }
        return client;
    }

    private SslContext build(SslContextBuilder b) {
        try {
            return b.trustManager(trust).protocols(PROTOCOLS).sslProvider(provider()).build();
        } catch (SSLException e) {
            throw new SecurityConfigException("cannot set up TLS for " + self + " from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The same identity for blocking JDK sockets (the synchronous request path). */
    public synchronized SSLContext jdkClient() {
        if (jdkClient == null) {
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                char[] none = new char[0];
                ks.setKeyEntry("identity", key, none, new java.security.cert.Certificate[] {certificate});
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, none);
                SSLContext c = SSLContext.getInstance("TLSv1.3");
                c.init(kmf.getKeyManagers(), new TrustManager[] {trust}, null);
                jdkClient = c;
            } catch (GeneralSecurityException | IOException e) {
                throw new SecurityConfigException("cannot set up TLS for " + self + " from " + dir + ": " + e.getMessage(), e);
            }
        }
        return jdkClient;
    }

    /**
     * Who the peer of a finished handshake is.
     *
     * @throws SSLException if the session has no peer certificate or it names no role (never happens once the trust
     *     manager accepted it, but a transport must not guess)
     */
    public static Principal peerOf(SSLSession session) throws SSLException {
        java.security.cert.Certificate[] chain = session.getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate x)) {
            throw new SSLException("peer presented no X.509 certificate");
        }
        try {
            return CertificateNames.principalOf(x);
        } catch (CertificateException e) {
            throw new SSLException(e.getMessage(), e);
        }
    }

    /**
     * Who the peer of a finished handshake is, checked against the revocation list in force here. The trust manager
     * checks a full handshake; a resumed TLS 1.3 session (a client reconnecting with a ticket) skips it, so the
     * transports call this on every new connection, whichever way it was set up.
     *
     * @throws SSLException if the peer presented no certificate, it names no role, or it is revoked
     */
    public Principal verifiedPeer(SSLSession session) throws SSLException {
        Principal p = peerOf(session);
        java.security.cert.Certificate first = session.getPeerCertificates()[0];
        if (first instanceof X509Certificate x && isRevoked(x)) {
            throw new SSLException("certificate '" + CertificateNames.commonName(x) + "' (serial "
                    + x.getSerialNumber().toString(16) + ") is revoked");
        }
        return p;
    }

    @Override
    public String toString() {
        return "ClusterTls[" + self + ", " + (preferOpenSsl ? "BoringSSL preferred" : "JDK") + ", " + dir + "]";
    }

    // ------------------------------------------------------------------ reading PEM

    static X509Certificate readCertificate(Path file, String what) {
        byte[] bytes = readFile(file, what);
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            Collection<? extends java.security.cert.Certificate> certs =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty() || !(certs.iterator().next() instanceof X509Certificate x)) {
                throw new SecurityConfigException(file + " holds no X.509 certificate (" + what + ")");
            }
            return x;
        } catch (CertificateException | IOException e) {
            throw new SecurityConfigException(file + " is not a PEM certificate (" + what + "): " + e.getMessage());
        }
    }

    static PrivateKey readKey(Path file) {
        String text = new String(readFile(file, "a private key"), StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new SecurityConfigException(file + " is not a PKCS#8 PEM private key ('-----BEGIN PRIVATE KEY-----')");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        } catch (IllegalArgumentException e) {
            throw new SecurityConfigException(file + " holds bad base64: " + e.getMessage());
        }
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException tryNext) {
                // not this algorithm
            }
        }
        throw new SecurityConfigException(file + " holds a key of no supported algorithm (EC, RSA, Ed25519)");
    }

    private static byte[] readFile(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SecurityConfigException(file + " does not exist (" + what + "): create the cluster's certificates"
                    + " with 'lego certs' (or let 'lego up' do it), or set security.mode: insecure on a trusted network");
        } catch (IOException e) {
            throw new SecurityConfigException("cannot read " + file + " (" + what + "): " + e.getMessage());
        }
    }

    private static void warnIfReadableByOthers(Path keyFile) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(keyFile);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("{} is readable by other users: chmod 600 it", keyFile);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not POSIX: nothing to check
        }
    }

    /** The public key of {@code key}, taken from the certificate's algorithm by signing and verifying a probe. */
    private static java.security.PublicKey derivePublic(PrivateKey key, X509Certificate cert) {
        try {
            String alg = switch (key.getAlgorithm()) {
                case "EC" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                default -> key.getAlgorithm();
            };
            java.security.Signature s = java.security.Signature.getInstance(alg);
            s.initSign(key);
            byte[] probe = "legoos-key-check".getBytes(StandardCharsets.US_ASCII);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(probe);
            return s.verify(sig) ? cert.getPublicKey() : null;
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    private static X509ExtendedTrustManager pkix(X509Certificate ca) throws GeneralSecurityException {
        PKIXBuilderParameters params = new PKIXBuilderParameters(Set.of(new TrustAnchor(ca, null)), null);
        params.setRevocationEnabled(false); // the cluster's CRL is checked by ClusterTrustManager, not over the network
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(new CertPathTrustManagerParameters(params));
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager for PKIX");
    }

    /**
     * PKIX against the cluster CA, then the revocation list and the role: what every handshake of this process checks
     * of its peer.
     */
    static final class ClusterTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager pkix;
        final Path crlFile;
        private final X509Certificate ca;
        private volatile Loaded loaded = new Loaded(null, null);

        private record Loaded(FileTime modified, X509CRL crl) {
        }

        ClusterTrustManager(X509ExtendedTrustManager pkix, Path crlFile, X509Certificate ca) {
            this.pkix = pkix;
            this.crlFile = crlFile;
            this.ca = ca;
        }

        /** The revocation list in {@code file} if there is one, checked against the CA's signature; null if none. */
        static X509CRL readCrl(Path file, X509Certificate ca) {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            try (InputStream in = Files.newInputStream(file)) {
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
                crl.verify(ca.getPublicKey());
                return crl;
            } catch (IOException | GeneralSecurityException e) {
                throw new SecurityConfigException(file + " is not a revocation list signed by the cluster CA: " + e.getMessage());
            }
        }

        /** Drops what was read, so the next check reads the file again (a replacement within the same mtime tick). */
        void forget() {
            loaded = new Loaded(null, null);
        }

        X509CRL crl() throws CertificateException {
            FileTime modified;
            try {
                modified = Files.isRegularFile(crlFile) ? Files.getLastModifiedTime(crlFile) : null;
            } catch (IOException e) {
                modified = null;
            }
            Loaded l = loaded;
            if (!Objects.equals(modified, l.modified())) {
                try {
                    l = new Loaded(modified, modified == null ? null : readCrl(crlFile, ca));
                } catch (SecurityConfigException e) {
                    // a damaged list must not open the door: refuse until it is fixed
                    throw new CertificateException(e.getMessage());
                }
                loaded = l;
            }
            return l.crl();
        }

        /** The validity period, checked before PKIX, whose message ("validity check failed") says neither which nor why. */
        private static void checkTime(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no certificate presented");
            }
            Date now = new Date();
            if (chain[0].getNotAfter().before(now)) {
                throw new CertificateException("certificate '" + CertificateNames.commonName(chain[0]) + "' expired on "
                        + chain[0].getNotAfter());
            }
            if (chain[0].getNotBefore().after(now)) {
                throw new CertificateException("certificate '" + CertificateNames.commonName(chain[0]) + "' is not valid"
                        + " before " + chain[0].getNotBefore());
            }
        }

        /** After PKIX accepted the chain: the revocation list, and a role. */
        private void checkOurs(X509Certificate[] chain) throws CertificateException {
            X509CRL crl = crl();
            if (crl != null && crl.isRevoked(chain[0])) {
                throw new CertificateException("certificate '" + CertificateNames.commonName(chain[0]) + "' (serial "
                        + chain[0].getSerialNumber().toString(16) + ") is revoked");
            }
            CertificateNames.principalOf(chain[0]);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) throws CertificateException {
            checkTime(chain);
            pkix.checkClientTrusted(chain, authType, socket);
            checkOurs(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) throws CertificateException {
            checkTime(chain);
            pkix.checkServerTrusted(chain, authType, socket);
            checkOurs(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkTime(chain);
            pkix.checkClientTrusted(chain, authType, engine);
            checkOurs(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkTime(chain);
            pkix.checkServerTrusted(chain, authType, engine);
            checkOurs(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkTime(chain);
            pkix.checkClientTrusted(chain, authType);
            checkOurs(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkTime(chain);
            pkix.checkServerTrusted(chain, authType);
            checkOurs(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {ca};
        }
    }
}
