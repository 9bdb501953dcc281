package io.rafty.security;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway certificate authorities for TLS tests: a CA issues leaf certificates valid for {@code localhost} and
 * {@code 127.0.0.1} (server and client use), written as PEM files, so tests run with host name verification on.
 * EC P-256 keys by default (fast to make); RSA on request, to exercise the PKCS#1 key format.
 */
public final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final KeyPair keys;
    private final X509Certificate certificate;
    private final Path dir;

    private TestPki(String name, KeyPair keys, X509Certificate certificate, Path dir) {
        this.name = name;
        this.keys = keys;
        this.certificate = certificate;
        this.dir = dir;
    }

    /** A new CA; its files go to {@code dir}. */
    public static TestPki ca(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        KeyPair keys = ec();
        X509Certificate cert = sign(new X500Name("CN=" + name), keys, new X500Name("CN=" + name), keys.getPrivate(),
                true, Duration.ofDays(1));
        TestPki ca = new TestPki(name, keys, cert, dir);
        Files.writeString(ca.caFile(), pem(cert));
        return ca;
    }

    /** The CA's certificate, PEM. */
    public Path caFile() {
        return dir.resolve(name + "-ca.pem");
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** A leaf certificate and key for {@code localhost}/{@code 127.0.0.1}, signed by this CA. */
    public Leaf issue(String leafName) throws Exception {
        return issue(leafName, ec(), Duration.ofDays(1));
    }

    /** A leaf certificate and key naming only the DNS names {@code names} (not localhost, not 127.0.0.1). */
    public Leaf issueFor(String leafName, String... names) throws Exception {
        return issue(leafName, ec(), Duration.ofDays(1), names);
    }

    /** As {@link #issue(String)}, with an RSA key. */
    public Leaf issueRsa(String leafName) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return issue(leafName, generator.generateKeyPair(), Duration.ofDays(1));
    }

    private Leaf issue(String leafName, KeyPair leafKeys, Duration validity, String... names) throws Exception {
        X509Certificate cert = sign(new X500Name("CN=" + leafName), leafKeys, new X500Name("CN=" + name),
                keys.getPrivate(), false, validity, names);
        Leaf leaf = new Leaf(leafName, leafKeys, cert, certificate, dir.resolve(name + "-" + leafName + ".pem"),
                dir.resolve(name + "-" + leafName + "-key.pem"));
        Files.writeString(leaf.certFile(), pem(cert));
        Files.writeString(leaf.keyFile(), pkcs8(leafKeys.getPrivate()));
        return leaf;
    }

    /** A certificate and its key. */
    public record Leaf(String name, KeyPair keys, X509Certificate certificate, X509Certificate ca, Path certFile,
                       Path keyFile) {

        /** The key in the older format of its algorithm: PKCS#1 {@code RSA PRIVATE KEY} or SEC1 {@code EC PRIVATE KEY}. */
        public Path writeLegacyKey(Path file) throws IOException {
            if (keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
                // As openssl writes it, with the named curve inside (the JDK's encoding leaves it out).
                byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, ec.getS(),
                        new org.bouncycastle.asn1.x9.X962Parameters(
                                org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1)).getEncoded();
                Files.writeString(file, block("EC PRIVATE KEY", sec1));
                return file;
            }
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(keys.getPrivate());
            }
            Files.writeString(file, out.toString());
            return file;
        }

        /** A client or server context presenting this certificate and trusting {@code trusted}. */
        public SSLContext context(X509Certificate trusted) throws GeneralSecurityException, IOException {
            return TestPki.context(this, trusted);
        }
    }

    /** A TLS context presenting {@code leaf} (null: no certificate) and trusting {@code trusted}. */
    public static SSLContext context(Leaf leaf, X509Certificate trusted) throws GeneralSecurityException, IOException {
        char[] password = new char[0];
        KeyManagerFactory keyManagers = null;
        if (leaf != null) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("leaf", leaf.keys().getPrivate(), password,
                    new Certificate[] {leaf.certificate(), leaf.ca()});
            keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keyStore, password);
        }
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("ca", trusted);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(),
                null);
        return context;
    }

    private static KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, PrivateKey issuerKey,
                                        boolean ca, Duration validity, String... names) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(validity)), subject, subjectKeys.getPublic());
        if (ca) {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            GeneralName[] alternatives = names.length == 0
                    ? new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1")}
                    : java.util.Arrays.stream(names).map(n -> new GeneralName(GeneralName.dNSName, n))
                            .toArray(GeneralName[]::new);
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives));
        }
        String algorithm = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKey)));
    }

    static String pem(X509Certificate cert) throws GeneralSecurityException {
        return block("CERTIFICATE", cert.getEncoded());
    }

    static String pkcs8(PrivateKey key) {
        return block("PRIVATE KEY", key.getEncoded());
    }

    private static String block(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
    }
}
