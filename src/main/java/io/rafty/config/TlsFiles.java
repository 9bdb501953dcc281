package io.rafty.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and checks the PEM files of the TLS settings at startup, with nothing but the JDK, so that a
 * certificate that is not one, a key that is not one or does not belong to its certificate, or a
 * certificate the cluster CA did not sign stops the node with one line before it listens — not at the
 * first handshake. The formats are the ones Vert.x's {@code PemKeyCertOptions} reads: certificates as
 * {@code CERTIFICATE} blocks (a chain, leaf first); keys as PKCS#8 {@code PRIVATE KEY}, PKCS#1
 * {@code RSA PRIVATE KEY} or SEC1 {@code EC PRIVATE KEY}, unencrypted.
 *
 * <p>No message ever quotes a file's content: a key's bytes are read, used for one test signature and
 * dropped; an error names the setting, the path and what is wrong.
 */
public final class TlsFiles {

    /** A PEM file larger than this is not a certificate chain or a key (a log, an image, {@code /dev/zero}). */
    static final int MAX_PEM_BYTES = 1 << 20;

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private TlsFiles() {
    }

    /**
     * The rules of the TLS settings (docs/SECURITY.md, "TLS"), checked with the files loaded: a certificate
     * needs its key and the reverse, client authentication needs a CA, peer TLS needs all three files, and
     * once the shared client/peer port speaks TLS every peer (and the join address) is {@code https://}.
     */
    static void check(Path tlsCert, Path tlsKey, Path tlsCa, boolean tlsClientAuth, Path peerTlsCert, Path peerTlsKey,
                      Path peerTlsCa, List<Peer> peers, String join) {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw tlsCert == null
                    ? new ConfigException("tlsKey", "tlsKey is set but tlsCert is not; TLS needs both the certificate "
                            + "and its key")
                    : new ConfigException("tlsCert", "tlsCert is set but tlsKey is not; TLS needs both the certificate "
                            + "and its key");
        }
        if (tlsClientAuth && tlsCa == null) {
            throw new ConfigException("tlsClientAuth", "tlsClientAuth is true but tlsCa is not set; client certificates "
                    + "are checked against that CA");
        }
        if (tlsCa != null && !tlsClientAuth) {
            throw new ConfigException("tlsCa", "tlsCa is set but tlsClientAuth is not true; the CA is only used to "
                    + "require client certificates (set tlsClientAuth to true, or drop tlsCa)");
        }
        if (tlsCa != null && tlsCert == null) {
            throw new ConfigException("tlsCa", "tlsCa and tlsClientAuth need TLS on the client port: set tlsCert and "
                    + "tlsKey too");
        }
        int peerFiles = (peerTlsCert == null ? 0 : 1) + (peerTlsKey == null ? 0 : 1) + (peerTlsCa == null ? 0 : 1);
        if (peerFiles != 0 && peerFiles != 3) {
            String missing = (peerTlsCert == null ? " peerTlsCert" : "") + (peerTlsKey == null ? " peerTlsKey" : "")
                    + (peerTlsCa == null ? " peerTlsCa" : "");
            String key = peerTlsCert == null ? "peerTlsCert" : peerTlsKey == null ? "peerTlsKey" : "peerTlsCa";
            throw new ConfigException(key, "peer TLS needs peerTlsCert, peerTlsKey and peerTlsCa together; missing:"
                    + missing);
        }
        boolean peerTls = peerFiles == 3;
        boolean portTls = tlsCert != null || peerTls;
        if (tlsCert != null) {
            checkPair(tlsCert, "tlsCert", tlsKey, "tlsKey");
        }
        if (tlsCa != null) {
            certificates(tlsCa, "tlsCa");
        }
        if (peerTls) {
            checkPair(peerTlsCert, "peerTlsCert", peerTlsKey, "peerTlsKey");
            checkSignedBy(peerTlsCert, "peerTlsCert", peerTlsCa, "peerTlsCa",
                    "the other nodes check this node's peer certificate against that CA");
            if (tlsCert != null) {
                checkSignedBy(tlsCert, "tlsCert", peerTlsCa, "peerTlsCa", "peers reach this node on its client port "
                        + "and verify the certificate it serves there against peerTlsCa");
            }
        }
        if (tlsCert != null && !peerTls && (!peers.isEmpty() || !join.isEmpty())) {
            throw new ConfigException("peerTlsCa", "tlsCert makes the port that peers share with clients speak TLS, so "
                    + "the other nodes need peerTlsCert, peerTlsKey and peerTlsCa (and https:// peer addresses) too");
        }
        // A plaintext node may still name an https:// peer (one behind a TLS proxy, verified against the JVM's
        // trust store); a node whose own port speaks TLS has peers that speak it too.
        for (Peer peer : peers) {
            if (portTls && !peer.https()) {
                throw new ConfigException("peers", "peer " + peer.id() + " is " + peer.url() + " but this node's port "
                        + "speaks TLS (tlsCert or peer TLS), as every member's must: give peers as https://host:port");
            }
        }
        if (portTls && join.startsWith("http://")) {
            throw new ConfigException("join", "join is " + join + " but this node's port speaks TLS (tlsCert or peer "
                    + "TLS), as every member's must: give it as https://host:port");
        }
    }

    /** The certificates of {@code file}, leaf first. */
    public static List<X509Certificate> certificates(Path file, String setting) {
        String text = read(file, setting);
        List<X509Certificate> certificates = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 support", e);
        }
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE")) {
                continue;
            }
            try {
                certificates.add((X509Certificate) factory.generateCertificate(
                        new ByteArrayInputStream(decode(m.group(2), file, setting))));
            } catch (CertificateException e) {
                throw new ConfigException(setting, describe(setting, file) + " holds a CERTIFICATE block that is not "
                        + "a valid X.509 certificate");
            }
        }
        if (certificates.isEmpty()) {
            throw new ConfigException(setting, describe(setting, file) + " holds no PEM certificate (expected "
                    + "-----BEGIN CERTIFICATE-----)" + (text.contains("PRIVATE KEY-----") ? "; it looks like a key" : ""));
        }
        return certificates;
    }

    /** The private key of {@code file}. */
    public static PrivateKey privateKey(Path file, String setting) {
        String text = read(file, setting);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("ENCRYPTED PRIVATE KEY")) {
                throw new ConfigException(setting, describe(setting, file) + " is an encrypted key; give an "
                        + "unencrypted one (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem) readable only by the node");
            }
            if (!type.equals("PRIVATE KEY") && !type.equals("RSA PRIVATE KEY") && !type.equals("EC PRIVATE KEY")) {
                continue;
            }
            byte[] der = decode(m.group(2), file, setting);
            try {
                byte[] pkcs8 = switch (type) {
                    case "RSA PRIVATE KEY" -> Der.rsaPkcs1ToPkcs8(der);
                    case "EC PRIVATE KEY" -> Der.ecSec1ToPkcs8(der);
                    default -> der;
                };
                PrivateKey key = pkcs8Key(pkcs8);
                if (key != null) {
                    return key;
                }
            } catch (RuntimeException e) {
                // A malformed structure: reported below, without its bytes.
            } finally {
                Arrays.fill(der, (byte) 0);
            }
            throw new ConfigException(setting, describe(setting, file) + " holds a " + type + " block that is not a "
                    + "valid RSA, EC or Ed25519 key");
        }
        throw new ConfigException(setting, describe(setting, file) + " holds no PEM private key (expected "
                + "-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
                + (text.contains("BEGIN CERTIFICATE") ? "; it looks like a certificate" : ""));
    }

    /**
     * Checks that the key of {@code keyFile} belongs to the first certificate of {@code certFile}, by signing a
     * random challenge with the one and verifying it with the other.
     */
    public static void checkPair(Path certFile, String certSetting, Path keyFile, String keySetting) {
        X509Certificate leaf = certificates(certFile, certSetting).get(0);
        PrivateKey key = privateKey(keyFile, keySetting);
        if (!matches(key, leaf.getPublicKey())) {
            throw new ConfigException(keySetting, describe(keySetting, keyFile) + " does not belong to the certificate "
                    + "of " + describe(certSetting, certFile) + " (" + leaf.getSubjectX500Principal().getName() + ")");
        }
    }

    /**
     * Checks that the chain of {@code certFile} leads to a certificate of {@code caFile} (PKIX, no revocation),
     * as a peer verifying it against that CA would.
     */
    public static void checkSignedBy(Path certFile, String certSetting, Path caFile, String caSetting, String why) {
        List<X509Certificate> chain = certificates(certFile, certSetting);
        List<X509Certificate> cas = certificates(caFile, caSetting);
        if (!chainsTo(chain, cas)) {
            throw new ConfigException(certSetting, "the certificate of " + describe(certSetting, certFile) + " ("
                    + chain.get(0).getSubjectX500Principal().getName() + ") is not signed by the CA of "
                    + describe(caSetting, caFile) + "; " + why);
        }
    }

    /**
     * A JDK TLS context presenting the certificate of {@code cert} with the key of {@code key} (both null: none) and
     * trusting the certificates of {@code ca} (null: the JVM's trust store). For the JDK's HTTP client, which then
     * also verifies the server's host name.
     */
    public static javax.net.ssl.SSLContext sslContext(Path cert, String certSetting, Path key, String keySetting,
                                                      Path ca, String caSetting) {
        try {
            char[] password = new char[0];
            javax.net.ssl.KeyManager[] keyManagers = null;
            if (cert != null || key != null) {
                if (cert == null || key == null) {
                    throw new ConfigException(cert == null ? certSetting : keySetting, "a client certificate needs both "
                            + certSetting + " and " + keySetting);
                }
                checkPair(cert, certSetting, key, keySetting);
                java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", privateKey(key, keySetting), password,
                        certificates(cert, certSetting).toArray(new java.security.cert.Certificate[0]));
                javax.net.ssl.KeyManagerFactory factory = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                factory.init(keys, password);
                keyManagers = factory.getKeyManagers();
            }
            javax.net.ssl.TrustManager[] trustManagers = null;
            if (ca != null) {
                java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                List<X509Certificate> cas = certificates(ca, caSetting);
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca" + i, cas.get(i));
                }
                javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(
                        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                factory.init(trust);
                trustManagers = factory.getTrustManagers();
            }
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(keyManagers, trustManagers, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    /** Whether {@code chain} (leaf first) validates against one of {@code cas}, ignoring revocation. */
    public static boolean chainsTo(List<X509Certificate> chain, List<X509Certificate> cas) {
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : cas) {
                anchors.add(new TrustAnchor(ca, null));
            }
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            // The anchor itself may be part of the presented chain; PKIX wants the path below it.
            List<X509Certificate> path = new ArrayList<>(chain);
            while (path.size() > 1 && cas.contains(path.get(path.size() - 1))) {
                path.remove(path.size() - 1);
            }
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean matches(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (family(key.getAlgorithm())) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null || !family(key.getAlgorithm()).equals(family(publicKey.getAlgorithm()))) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String family(String algorithm) {
        return algorithm.equals("Ed25519") || algorithm.equals("Ed448") ? "EdDSA" : algorithm;
    }

    private static PrivateKey pkcs8Key(byte[] pkcs8) {
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                // Not this algorithm; try the next.
            }
        }
        return null;
    }

    private static byte[] decode(String base64, Path file, String setting) {
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(setting, describe(setting, file) + " holds a PEM block that is not valid base64");
        }
    }

    private static String read(Path file, String setting) {
        byte[] raw;
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException(setting, describe(setting, file) + " is a directory, not a PEM file");
            }
            try (var in = Files.newInputStream(file)) {
                raw = in.readNBytes(MAX_PEM_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException(setting, describe(setting, file) + " not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException(setting, describe(setting, file) + " is not readable (permission denied)");
        } catch (IOException e) {
            throw new ConfigException(setting, describe(setting, file) + " cannot be read: " + e.getMessage());
        }
        if (raw.length > MAX_PEM_BYTES) {
            throw new ConfigException(setting, describe(setting, file) + " is larger than " + MAX_PEM_BYTES
                    + " bytes; expected a PEM file");
        }
        if (raw.length == 0) {
            throw new ConfigException(setting, describe(setting, file) + " is empty; expected a PEM file");
        }
        String text = new String(raw, StandardCharsets.US_ASCII);
        Arrays.fill(raw, (byte) 0);
        return text;
    }

    private static String describe(String setting, Path file) {
        return setting + " file " + file;
    }

    /** Just enough DER to rewrap the two older key formats as PKCS#8, which the JDK reads. */
    static final class Der {

        private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02,
            0x01};

        private Der() {
        }

        static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
            return sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, pkcs1)));
        }

        /** SEC1 {@code ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] curve OID, [1] key }}. */
        static byte[] ecSec1ToPkcs8(byte[] sec1) {
            int[] outer = header(sec1, 0, 0x30);
            int at = outer[0];
            int end = at + outer[1];
            byte[] curve = null;
            while (at < end) {
                int tag = sec1[at] & 0xff;
                int[] h = header(sec1, at, tag);
                if (tag == 0xa0) {
                    int[] oid = header(sec1, h[0], 0x06);
                    curve = Arrays.copyOfRange(sec1, h[0], oid[0] + oid[1]);
                }
                at = h[0] + h[1];
            }
            if (curve == null) {
                throw new IllegalArgumentException("EC key without a named curve");
            }
            byte[] algorithm = sequence(concat(EC_PUBLIC_KEY_OID, curve));
            return sequence(concat(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, sec1)));
        }

        /** {content start, content length} of the element at {@code at}, which must have {@code tag}. */
        private static int[] header(byte[] der, int at, int tag) {
            if ((der[at] & 0xff) != tag) {
                throw new IllegalArgumentException("unexpected DER tag");
            }
            int first = der[at + 1] & 0xff;
            if (first < 0x80) {
                return new int[] {at + 2, first};
            }
            int bytes = first & 0x7f;
            if (bytes > 3) {
                throw new IllegalArgumentException("DER length too long");
            }
            int length = new BigInteger(1, Arrays.copyOfRange(der, at + 2, at + 2 + bytes)).intValueExact();
            if (at + 2 + bytes + length > der.length) {
                throw new IllegalArgumentException("DER length beyond the data");
            }
            return new int[] {at + 2 + bytes, length};
        }

        private static byte[] sequence(byte[] content) {
            return tlv(0x30, content);
        }

        private static byte[] tlv(int tag, byte[] content) {
            byte[] length;
            int n = content.length;
            if (n < 0x80) {
                length = new byte[] {(byte) n};
            } else if (n < 0x100) {
                length = new byte[] {(byte) 0x81, (byte) n};
            } else if (n < 0x10000) {
                length = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
            } else {
                length = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
            }
            return concat(new byte[] {(byte) tag}, length, content);
        }

        private static byte[] concat(byte[]... parts) {
            int total = 0;
            for (byte[] part : parts) {
                total += part.length;
            }
            byte[] out = new byte[total];
            int at = 0;
            for (byte[] part : parts) {
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }
    }
}
