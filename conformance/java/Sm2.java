import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * SM2 (GB/T 32918) on the recommended curve, our own BigInteger implementation: enough to
 * verify the device's signatures, decrypt what the device encrypted to a key pair made here,
 * and sign/encrypt for the device to verify/decrypt. Slow (affine coordinates) but only used a
 * handful of times per run. Not constant-time: test keys only.
 */
final class Sm2 {
    private Sm2() {}

    static final BigInteger P = new BigInteger("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16);
    static final BigInteger A = new BigInteger("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC", 16);
    static final BigInteger B = new BigInteger("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16);
    static final BigInteger N = new BigInteger("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16);
    static final BigInteger GX = new BigInteger("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7", 16);
    static final BigInteger GY = new BigInteger("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", 16);
    static final BigInteger[] G = {GX, GY};
    /** DER SubjectPublicKeyInfo prefix of an SM2 public key (id-ecPublicKey, sm2p256v1). */
    static final String DER_PREFIX = "3059301306072A8648CE3D020106082A811CCF5501822D03420004";

    private static final SecureRandom RNG = new SecureRandom();

    static final class KeyPair {
        final BigInteger d;
        final BigInteger[] q;

        KeyPair(BigInteger d) {
            this.d = d;
            this.q = mul(d, G);
        }
    }

    static KeyPair generate() {
        return new KeyPair(randomScalar());
    }

    /** A fixed test key pair (d = SM3("evsm-lab conformance") mod n): recorded requests stay the same. */
    static KeyPair generateFixed() {
        return new KeyPair(new BigInteger(1, Sm3.hash("evsm-lab conformance".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).mod(N.subtract(BigInteger.ONE)).add(BigInteger.ONE));
    }

    private static BigInteger randomScalar() {
        BigInteger k;
        do {
            k = new BigInteger(256, RNG);
        } while (k.signum() == 0 || k.compareTo(N.subtract(BigInteger.ONE)) >= 0);
        return k;
    }

    // ---- point arithmetic (null = point at infinity) ----
    static BigInteger[] add(BigInteger[] p1, BigInteger[] p2) {
        if (p1 == null) return p2;
        if (p2 == null) return p1;
        BigInteger lambda;
        if (p1[0].equals(p2[0])) {
            if (!p1[1].equals(p2[1]) || p1[1].signum() == 0) return null;
            lambda = p1[0].pow(2).multiply(BigInteger.valueOf(3)).add(A).multiply(p1[1].shiftLeft(1).modInverse(P)).mod(P);
        } else {
            lambda = p2[1].subtract(p1[1]).multiply(p2[0].subtract(p1[0]).modInverse(P)).mod(P);
        }
        BigInteger x3 = lambda.pow(2).subtract(p1[0]).subtract(p2[0]).mod(P);
        BigInteger y3 = lambda.multiply(p1[0].subtract(x3)).subtract(p1[1]).mod(P);
        return new BigInteger[] {x3, y3};
    }

    static BigInteger[] mul(BigInteger k, BigInteger[] p) {
        BigInteger[] r = null;
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = add(r, r);
            if (k.testBit(i)) r = add(r, p);
        }
        return r;
    }

    static boolean onCurve(BigInteger[] p) {
        return p != null && p[1].pow(2).mod(P).equals(p[0].pow(3).add(A.multiply(p[0])).add(B).mod(P));
    }

    // ---- encodings ----
    static byte[] be32(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    /** 04 || X || Y */
    static byte[] raw(BigInteger[] q) {
        return Hex.concat(new byte[] {4}, be32(q[0]), be32(q[1]));
    }

    static byte[] der(BigInteger[] q) {
        return Hex.concat(Hex.bytes(DER_PREFIX), be32(q[0]), be32(q[1]));
    }

    /** A public key from DER (91 bytes), raw 04||X||Y (65) or X||Y (64). */
    static BigInteger[] parsePublic(byte[] b) {
        byte[] xy;
        if (b.length == 91 && Hex.of(b).startsWith(DER_PREFIX)) xy = Hex.slice(b, 27, 91);
        else if (b.length == 65 && b[0] == 4) xy = Hex.slice(b, 1, 65);
        else if (b.length == 64) xy = b;
        else throw new IllegalArgumentException("not an SM2 public key (" + b.length + " bytes)");
        BigInteger[] q = {new BigInteger(1, Hex.slice(xy, 0, 32)), new BigInteger(1, Hex.slice(xy, 32, 64))};
        if (!onCurve(q)) throw new IllegalArgumentException("public key is not on the SM2 curve");
        return q;
    }

    /** Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) */
    static byte[] z(byte[] uid, BigInteger[] q) {
        int bits = uid.length * 8;
        return Sm3.hash(Hex.concat(new byte[] {(byte) (bits >> 8), (byte) bits}, uid, be32(A), be32(B), be32(GX), be32(GY), be32(q[0]), be32(q[1])));
    }

    static byte[] digest(byte[] uid, BigInteger[] q, byte[] msg) {
        return Sm3.hash(Hex.concat(z(uid, q), msg));
    }

    // ---- signatures: r||s (64 bytes) or DER SEQUENCE{INTEGER r, INTEGER s} ----
    static BigInteger[] parseSignature(byte[] sig) {
        if (sig.length == 64) return new BigInteger[] {new BigInteger(1, Hex.slice(sig, 0, 32)), new BigInteger(1, Hex.slice(sig, 32, 64))};
        if (sig.length < 8 || sig[0] != 0x30 || (sig[1] & 0xff) != sig.length - 2) throw new IllegalArgumentException("signature is neither r||s nor DER");
        int off = 2;
        BigInteger[] rs = new BigInteger[2];
        for (int i = 0; i < 2; i++) {
            if (sig[off] != 2) throw new IllegalArgumentException("DER signature: INTEGER expected");
            int len = sig[off + 1] & 0xff;
            rs[i] = new BigInteger(1, Hex.slice(sig, off + 2, off + 2 + len));
            off += 2 + len;
        }
        if (off != sig.length) throw new IllegalArgumentException("DER signature: trailing bytes");
        return rs;
    }

    static byte[] derSignature(BigInteger r, BigInteger s) {
        byte[] ri = r.toByteArray();
        byte[] si = s.toByteArray();
        byte[] body = Hex.concat(new byte[] {2, (byte) ri.length}, ri, new byte[] {2, (byte) si.length}, si);
        return Hex.concat(new byte[] {0x30, (byte) body.length}, body);
    }

    static boolean verify(byte[] uid, BigInteger[] q, byte[] msg, byte[] sig) {
        BigInteger[] rs = parseSignature(sig);
        BigInteger r = rs[0], s = rs[1];
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) return false;
        BigInteger e = new BigInteger(1, digest(uid, q, msg));
        BigInteger t = r.add(s).mod(N);
        if (t.signum() == 0) return false;
        BigInteger[] pt = add(mul(s, G), mul(t, q));
        return pt != null && e.add(pt[0]).mod(N).equals(r);
    }

    /** r||s */
    static byte[] sign(byte[] uid, KeyPair kp, byte[] msg) {
        BigInteger e = new BigInteger(1, digest(uid, kp.q, msg));
        while (true) {
            BigInteger k = randomScalar();
            BigInteger r = e.add(mul(k, G)[0]).mod(N);
            if (r.signum() == 0 || r.add(k).equals(N)) continue;
            BigInteger s = kp.d.add(BigInteger.ONE).modInverse(N).multiply(k.subtract(r.multiply(kp.d))).mod(N);
            if (s.signum() == 0) continue;
            return Hex.concat(be32(r), be32(s));
        }
    }

    // ---- encryption: C1 (04||x||y) || C3 (32) || C2, the GM/T 0003-2012 order ----
    private static byte[] kdf(byte[] z, int len) {
        byte[] out = new byte[len];
        int ct = 1;
        for (int off = 0; off < len; off += 32, ct++) {
            byte[] h = Sm3.hash(Hex.concat(z, new byte[] {(byte) (ct >>> 24), (byte) (ct >>> 16), (byte) (ct >>> 8), (byte) ct}));
            System.arraycopy(h, 0, out, off, Math.min(32, len - off));
        }
        return out;
    }

    static byte[] encrypt(BigInteger[] q, byte[] msg) {
        BigInteger k = randomScalar();
        BigInteger[] c1 = mul(k, G);
        BigInteger[] s = mul(k, q);
        byte[] x2 = be32(s[0]), y2 = be32(s[1]);
        byte[] t = kdf(Hex.concat(x2, y2), msg.length);
        byte[] c2 = new byte[msg.length];
        for (int i = 0; i < msg.length; i++) c2[i] = (byte) (msg[i] ^ t[i]);
        return Hex.concat(raw(c1), Sm3.hash(Hex.concat(x2, msg, y2)), c2);
    }

    /** Decrypts C1C3C2 (or C1C2C3 when c1c2c3 is true); null when C3 does not match. */
    static byte[] decrypt(KeyPair kp, byte[] c, boolean c1c2c3) {
        if (c.length < 97 || c[0] != 4) return null;
        BigInteger[] c1 = {new BigInteger(1, Hex.slice(c, 1, 33)), new BigInteger(1, Hex.slice(c, 33, 65))};
        if (!onCurve(c1)) return null;
        int n = c.length - 97;
        byte[] c3 = c1c2c3 ? Hex.slice(c, 65 + n, c.length) : Hex.slice(c, 65, 97);
        byte[] c2 = c1c2c3 ? Hex.slice(c, 65, 65 + n) : Hex.slice(c, 97, c.length);
        BigInteger[] s = mul(kp.d, c1);
        byte[] x2 = be32(s[0]), y2 = be32(s[1]);
        byte[] t = kdf(Hex.concat(x2, y2), n);
        byte[] m = new byte[n];
        for (int i = 0; i < n; i++) m[i] = (byte) (c2[i] ^ t[i]);
        return Arrays.equals(Sm3.hash(Hex.concat(x2, m, y2)), c3) ? m : null;
    }
}
