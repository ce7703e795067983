/** MACs (S0, D0/D1, MU) with known ZAKs, compared with ISO 9797-1. Indices 30-39. */
final class MacChecks {
    private MacChecks() {}

    private static final String DATA = "4E6F77206973207468652074696D6520666F7220616C6C20"; // "Now is the time for all "
    private static final String IV8 = "0000000000000000";
    /** DATA with its first byte changed: a MAC of DATA must not verify on it. */
    private static final String ALTERED = "5E" + DATA.substring(2);

    /** ISO 9797-1 MAC of the hex data, reference, as hex of `bytes` leftmost bytes. */
    static String refMac(int alg, char flag, byte[] key, int pad, String hex, String iv, int bytes) {
        byte[] padded = Ref.pad(pad, Hex.bytes(hex), Ref.blockSize(flag));
        return Hex.of(Hex.slice(Ref.mac(alg, flag, key, Hex.bytes(iv), padded), 0, bytes));
    }

    /** A ZAK (type 008) of the clear 3DES key `key` under the ZMK, as the SDK takes it (the check needs the ZMK). */
    static String knownZak(Ctx c, byte[] key) throws Exception {
        c.needZmk();
        return c.known("008", 'X', key);
    }

    /** A MAC verify call of the SDK, given the data (hex) and the MAC. */
    interface Verify {
        boolean run(String data, String mac) throws Exception;
    }

    /** `mac` (a MAC of DATA) verifies on DATA, and the same MAC on ALTERED returns false. */
    static void verifiesOnlyUnaltered(Verify verify, String mac, String what) throws Exception {
        Harness.require(verify.run(DATA, mac), what + " with the right MAC");
        Harness.require(!verify.run(ALTERED, mac), what + " with altered data must return false");
    }

    static void run(Ctx c) {
        c.h.check("mac.S0-alg1-alg3", () -> {
            byte[] key = Ctx.clearKey('X');
            String zak = knownZak(c, key);
            for (int alg : new int[] {1, 3}) {
                for (int pad : new int[] {1, 2}) {
                    String mac = c.sdk.generalCalMAC(alg, 8, "008", zak, "", 0, "", pad, DATA.substring(0, 26), IV8);
                    Harness.equal(refMac(alg, 'X', key, pad, DATA.substring(0, 26), IV8, 8), mac, "ISO 9797-1 alg " + alg + " pad " + pad);
                }
            }
            String four = c.sdk.generalCalMAC(1, 4, "008", zak, "", 0, "", 1, DATA, IV8);
            Harness.equal(refMac(1, 'X', key, 1, DATA, IV8, 4), four, "value type 4 (leftmost 4 bytes)");
            String withIv = c.sdk.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, DATA, "1122334455667788");
            Harness.equal(refMac(1, 'X', key, 1, DATA, "1122334455667788", 8), withIv, "non-zero IV");
            return "alg 1 and 3, pads 1 and 2, value types 8 and 4";
        });
        c.h.check("mac.S0-SM4-AES", () -> {
            c.needZmk();
            for (char flag : "PR".toCharArray()) {
                byte[] key = Ctx.clearKey(flag);
                String zak = c.known("008", flag, key);
                String iv = Ctx.iv(flag);
                String mac = c.sdk.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, DATA, iv);
                Harness.equal(refMac(1, flag, key, 1, DATA, iv, 8), mac, flag + " CBC-MAC (leftmost 8 bytes)");
            }
            return "SM4 and AES CBC-MAC";
        });
        c.h.check("mac.S0-bytes-and-index", () -> {
            c.needZmk();
            byte[] key = Ctx.clearKey('X');
            String zak = c.importKnown("008", 'X', key, 30, "zak");
            String s = c.sdk.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, DATA, IV8);
            byte[] b = c.sdk.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, Hex.bytes(DATA), IV8);
            Harness.equal(s, Hex.of(b), "byte[] overload = String overload");
            Harness.equal(s, c.sdk.generalCalMAC(1, 8, "008", 30, "", 0, "", 1, DATA, IV8), "K0030 = its cryptogram");
            return "byte[] overload and index";
        });
        c.h.check("mac.generalVerifyMAC", () -> {
            String zak = knownZak(c, Ctx.clearKey('X'));
            String mac = c.sdk.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, DATA, IV8);
            verifiesOnlyUnaltered((data, m) -> c.sdk.generalVerifyMAC(1, 8, "008", zak, "", 0, "", 1, data, IV8, m), mac, "generalVerifyMAC");
            return "true, then false on altered data";
        });
        c.h.check("mac.D0-D1", () -> {
            byte[] key = Ctx.clearKey('X');
            String zak = knownZak(c, key);
            String mac = c.sdk.calMAC(1, 8, "008", zak, "", 0, "", 1, DATA, IV8);
            Harness.equal(refMac(1, 'X', key, 1, DATA, IV8, 8), mac, "D0 MAC");
            verifiesOnlyUnaltered((data, m) -> c.sdk.verifyMAC(1, 8, "008", zak, "", 0, "", 1, data, IV8, m), mac, "D1");
            return "D0 = reference; D1 true, then false on altered data";
        });
        c.h.check("mac.MU-unionpay", () -> {
            byte[] key = Ctx.clearKey('X');
            String zak = knownZak(c, key);
            String data = "0200302004C030C0801100000000000000100000013022000374380888227776333D1105101000007310000003130303";
            String s = c.sdk.generalCalMAC(zak, data);
            String b = c.sdk.generalCalMAC(zak, Hex.bytes(data));
            Harness.equal(s, b, "String (binary sent) and byte[] (XOR sent) overloads");
            String ref = unionPay(key, Hex.bytes(data));
            Harness.require(s.equals(ref) || s.equals(ref.substring(0, 8)), "UnionPay ECB MAC: expected " + ref + " (or its first 8), got " + s);
            return "MU " + (s.length() == 16 ? "16H" : s.length() + " characters");
        });
    }

    /**
     * The UnionPay (银联) POS "ECB" MAC: XOR of the zero-padded 8-byte blocks; its 16 hex
     * characters; encrypt the first 8, XOR the last 8, encrypt again; hex (16H).
     */
    static String unionPay(byte[] key, byte[] data) {
        byte[] x = new byte[8];
        byte[] padded = java.util.Arrays.copyOf(data, ((data.length + 7) / 8) * 8);
        for (int off = 0; off < padded.length; off += 8) x = Ref.xor(x, Hex.slice(padded, off, off + 8));
        byte[] ascii = Hex.of(x).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Ref.Block k = Ref.cipher('X', key);
        byte[] e1 = k.enc(Hex.slice(ascii, 0, 8));
        return Hex.of(k.enc(Ref.xor(e1, Hex.slice(ascii, 8, 16))));
    }
}
