package org.legoos.net.security;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.legoos.api.security.Role;

/**
 * The cluster's certificate authority, over a security directory ({@link CertificateNames} says its files): creates
 * the CA, issues component, operator and vNode-user certificates, revokes them (a revocation list signed by the CA,
 * which every process re-reads when it changes) and lists what was issued. Bouncy Castle's PKIX builders do the
 * X.509 work; keys are EC P-256 (fast TLS 1.3 handshakes) and every key file is written owner-only (0600), the
 * directory 0700.
 *
 * <p>Not thread-safe across processes: one operator issues at a time (as with {@code cockroach cert}).
 */
public final class ClusterCa {
    /** How long a certificate is valid unless asked otherwise. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);
    /** How long the CA is valid. */
    public static final Duration CA_VALIDITY = Duration.ofDays(10 * 365);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]{1,253}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private ClusterCa(Path dir) {
        this.dir = dir;
    }

    /** The CA of security directory {@code dir} (which {@link #create} made). */
    public static ClusterCa in(Path dir) {
        return new ClusterCa(Objects.requireNonNull(dir, "dir"));
    }

    public Path directory() {
        return dir;
    }

    /** True if {@code dir} holds a CA certificate. */
    public boolean exists() {
        return Files.isRegularFile(dir.resolve(CertificateNames.CA_CERT));
    }

    /**
     * Creates the cluster's CA in the directory (made 0700 if new).
     *
     * @throws SecurityConfigException if a CA is already there (a second one would split the cluster) or the
     *     directory cannot be written
     * @throws IllegalArgumentException if the name is empty or over 40 characters
     */
    public X509Certificate create(String clusterName) {
        if (clusterName == null || clusterName.isBlank() || clusterName.length() > 40) {
            throw new IllegalArgumentException("a cluster's name is 1 to 40 characters, got '" + clusterName + "'");
        }
        if (exists()) {
            throw new SecurityConfigException(dir.resolve(CertificateNames.CA_CERT) + " already exists: this directory has"
                    + " its CA (delete the directory to start a new cluster identity)");
        }
        try {
            makeDirectory();
            KeyPair pair = newKeyPair();
            X500Name subject = name("LegoOS/J cluster CA " + clusterName);
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate ca = sign(b, pair.getPrivate());
            writeKey(dir.resolve(CertificateNames.CA_KEY), pair.getPrivate());
            writePem(dir.resolve(CertificateNames.CA_CERT), ca, false);
            return ca;
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new SecurityConfigException("cannot create the cluster CA in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Issues a certificate for identity {@code name} and writes {@code NAME.crt} and {@code NAME.key}.
     *
     * @param role what it may do
     * @param hosts for a component: the host names and IP addresses others dial it at (its SANs); at least one
     * @param vnodes for a vNode user: the vNodes it may act in; at least one. Empty for every other role.
     * @param validity how long it is valid
     * @throws IllegalArgumentException for a bad name, host, vNode list or validity
     * @throws SecurityConfigException if the identity exists already (revoke it and pick another name) or the CA
     *     cannot be read
     */
    public X509Certificate issue(String name, Role role, Collection<String> hosts, Collection<String> vnodes, Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("a certificate's validity must be positive, got " + validity);
        }
        Instant now = Instant.now();
        return issue(name, role, hosts, vnodes, now.minusSeconds(60), now.plus(validity));
    }

    /**
     * {@link #issue(String, Role, Collection, Collection, Duration)} valid from {@code notBefore} to {@code notAfter}
     * (a window in the past makes an expired certificate, which tests of refusal need).
     */
    public X509Certificate issue(String name, Role role, Collection<String> hosts, Collection<String> vnodes,
                                 Instant notBefore, Instant notAfter) {
        CertificateNames.checkName(name);
        Objects.requireNonNull(role, "role");
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("a certificate's validity must end after it starts: " + notBefore + " to " + notAfter);
        }
        if (role.isComponent() && hosts.isEmpty()) {
            throw new IllegalArgumentException("a " + role.wireName() + " certificate needs the host names or addresses"
                    + " others reach it at (--host), e.g. 127.0.0.1");
        }
        if (!role.isComponent() && !hosts.isEmpty()) {
            throw new IllegalArgumentException("only components listen: a " + role.wireName() + " certificate names no hosts");
        }
        if (role == Role.USER && vnodes.isEmpty()) {
            throw new IllegalArgumentException("a vNode user certificate names the vNodes it may act in (--vnode)");
        }
        if (role != Role.USER && !vnodes.isEmpty()) {
            throw new IllegalArgumentException("only a vNode user certificate names vNodes, not a " + role.wireName());
        }
        Path crt = CertificateNames.certificate(dir, name);
        if (Files.exists(crt)) {
            throw new SecurityConfigException(crt + " already exists: identity '" + name + "' was issued before (revoke it"
                    + " with 'lego certs revoke " + name + "' and issue another name)");
        }
        X509Certificate ca = ClusterTlsFiles.caCertificate(dir);
        PrivateKey caKey = ClusterTlsFiles.caKey(dir);
        try {
            KeyPair pair = newKeyPair();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(notBefore),
                    Date.from(notAfter), name(name), pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, role.isComponent()
                    ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
                    : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            List<GeneralName> sans = new ArrayList<>();
            for (String host : hosts) {
                sans.add(hostName(host));
            }
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, CertificateNames.ROLE_URI + role.wireName()));
            for (String v : new TreeSet<>(vnodes)) {
                sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, CertificateNames.VNODE_URI + checkVnode(v)));
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            X509Certificate cert = sign(b, caKey);
            writeKey(CertificateNames.key(dir, name), pair.getPrivate());
            writePem(crt, cert, false);
            return cert;
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new SecurityConfigException("cannot issue '" + name + "' in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Revokes identity {@code name}: adds its certificate to the revocation list every process of the cluster reads
     * (new connections with it are refused from then on).
     *
     * @return false if it was revoked already
     * @throws SecurityConfigException if no such identity was issued here
     */
    public boolean revoke(String name) {
        X509Certificate cert = ClusterTlsFiles.certificate(dir, name);
        X509Certificate ca = ClusterTlsFiles.caCertificate(dir);
        PrivateKey caKey = ClusterTlsFiles.caKey(dir);
        X509CRL old = ClusterTlsFiles.crl(dir, ca);
        if (old != null && old.isRevoked(cert)) {
            return false;
        }
        try {
            Instant now = Instant.now();
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    Date.from(now));
            b.setNextUpdate(Date.from(now.plus(CA_VALIDITY)));
            if (old != null && old.getRevokedCertificates() != null) {
                for (X509CRLEntry e : old.getRevokedCertificates()) {
                    b.addCRLEntry(e.getSerialNumber(), e.getRevocationDate(), CRLReason.unspecified);
                }
            }
            b.addCRLEntry(cert.getSerialNumber(), Date.from(now), CRLReason.unspecified);
            ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(caKey);
            X509CRLHolder holder = b.build(signer);
            X509CRL crl = new JcaX509CRLConverter().getCRL(holder);
            writePem(dir.resolve(CertificateNames.CRL), crl, true);
            return true;
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new SecurityConfigException("cannot revoke '" + name + "' in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** One issued identity, as {@code lego certs list} shows it. */
    public record Issued(String name, Role role, Set<String> vnodes, Date notAfter, boolean revoked, List<String> hosts) {
    }

    /** Every identity issued in the directory, by name. */
    public List<Issued> list() {
        X509Certificate ca = ClusterTlsFiles.caCertificate(dir);
        X509CRL crl = ClusterTlsFiles.crl(dir, ca);
        List<Issued> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String file = p.getFileName().toString();
                if (!file.endsWith(".crt") || file.equals(CertificateNames.CA_CERT)) {
                    continue;
                }
                String name = file.substring(0, file.length() - 4);
                X509Certificate cert = ClusterTlsFiles.certificate(dir, name);
                var principal = CertificateNames.principalOf(cert);
                List<String> hosts = new ArrayList<>();
                if (cert.getSubjectAlternativeNames() != null) {
                    for (List<?> san : cert.getSubjectAlternativeNames()) {
                        if (san.get(0) instanceof Integer t && (t == GeneralName.dNSName || t == GeneralName.iPAddress)) {
                            hosts.add(String.valueOf(san.get(1)));
                        }
                    }
                }
                out.add(new Issued(name, principal.role(), principal.vnodes(), cert.getNotAfter(),
                        crl != null && crl.isRevoked(cert), hosts));
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new SecurityConfigException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Loads identity {@code name} for TLS, as a component or client would. */
    public ClusterTls tls(String name) {
        return ClusterTls.load(dir, name);
    }

    // ------------------------------------------------------------------ helpers

    private static String checkVnode(String v) {
        if (v == null || v.isBlank() || v.length() > 64 || v.chars().anyMatch(c -> c <= ' ' || c == '/' || c > 126)) {
            throw new IllegalArgumentException("bad vNode name '" + v + "'");
        }
        return v;
    }

    private static GeneralName hostName(String host) {
        if (host == null || !HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("bad host '" + host + "': a DNS name or an IP address");
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.chars().allMatch(c -> Character.isDigit(c) || c == '.') || h.indexOf(':') >= 0) {
            try {
                InetAddress.ofLiteral(h); // literal only: no name lookup
                return new GeneralName(GeneralName.iPAddress, h);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad IP address '" + host + "'");
            }
        }
        return new GeneralName(GeneralName.dNSName, h);
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "LegoOS/J").addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(key);
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    private void makeDirectory() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException notPosix) {
                // nothing to restrict
            }
        }
    }

    /** Writes a PKCS#8 PEM key, created owner-only before a byte is written. */
    private static void writeKey(Path file, PrivateKey key) throws IOException {
        String pem = pem(new PemObject("PRIVATE KEY", key.getEncoded()));
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw new SecurityConfigException(file + " already exists: not overwriting a key");
        }
        Files.writeString(file, pem, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Writes a certificate or CRL as PEM; {@code replace}: atomically over an existing file. */
    private static void writePem(Path file, Object object, boolean replace) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(object);
        }
        if (!replace) {
            Files.writeString(file, out.toString(), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, out.toString(), StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String pem(PemObject o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }
}
