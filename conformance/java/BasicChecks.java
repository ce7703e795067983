import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/** Device identity, random numbers and hashes (standard vectors). */
final class BasicChecks {
    private BasicChecks() {}

    static void basics(Ctx c) {
        c.h.check("basics.getDeviceSerial", () -> {
            String[] s = c.sdk.getDeviceSerial();
            Harness.require(s != null && s.length == c.hosts, "one serial per configured host expected (" + c.hosts + "), got " + Json.of(s));
            for (String one : s) {
                Harness.require(one != null && one.length() == 12 && !one.isBlank(), "serial must be 12 non-blank characters, got " + Json.of(one));
            }
            String expected = c.fixture.getProperty("expect.serials");
            if (expected != null) Harness.equal(expected, String.join(",", s), "serials");
            return "serials " + String.join(",", s);
        });
        c.h.check("basics.genRandom", () -> {
            // 16 is avoided on purpose: CR0016 is also the heartbeat, which the recorder drops.
            String r8 = c.sdk.genRandom(8);
            String r8b = c.sdk.genRandom(8);
            String r32 = c.sdk.genRandom(32);
            String r4096 = c.sdk.genRandom(4096);
            Harness.require(r8.matches("[0-9A-F]{16}"), "genRandom(8): 16 hex digits expected, got " + r8);
            Harness.require(!r8.equals(r8b), "two genRandom(8) gave the same value");
            Harness.require(r32.matches("[0-9A-F]{64}"), "genRandom(32): 64 hex digits expected");
            Harness.require(r4096.length() == 8192, "genRandom(4096): 8192 hex digits expected, got " + r4096.length());
            return "8, 32 and 4096 bytes";
        });
        c.h.check("basics.genRandom-out-of-range", () -> {
            int code0 = Harness.expectThrow(() -> c.sdk.genRandom(0), "genRandom(0)");
            int code4097 = Harness.expectThrow(() -> c.sdk.genRandom(4097), "genRandom(4097)");
            Harness.equal(15, code0, "genRandom(0) error code (count 1-4096, decision 9)");
            Harness.equal(15, code4097, "genRandom(4097) error code");
            return "0 and 4097 refused with 15";
        });
    }

    private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
    static final String SM3_ABC = "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0";

    /**
     * Hash algorithm codes of 3C/H1 and the JDK name of each: the codes the SDK's own JCE provider
     * (JCEProviderBase.hashInit(name)) sends in H1 for these names (observed: SM3 20, SHA-1 01,
     * MD5 02, SHA-256 06, SHA-384 07, SHA-512 08; SHA-224 it refuses locally).
     */
    private static final Object[][] SHA = {{1, "SHA-1"}, {2, "MD5"}, {6, "SHA-256"}, {7, "SHA-384"}, {8, "SHA-512"}};

    static void hash(Ctx c) {
        c.h.check("hash.selftest", () -> {
            Harness.equal(SM3_ABC, Hex.of(Sm3.hash(ABC)), "our own SM3 (GB/T 32905 vector)");
            return "reference SM3 ok";
        });
        c.h.check("hash.3C-SM3-abc", () -> {
            byte[] d = c.sdk.generateHASH(20, ABC, new byte[0], new byte[0]);
            Harness.equal(SM3_ABC, Hex.of(d), "3C SM3(\"abc\")");
            return "66C7F0F4…";
        });
        for (Object[] alg : SHA) {
            int code = (Integer) alg[0];
            String name = (String) alg[1];
            c.h.check("hash.3C-" + name + "-abc", () -> {
                byte[] d = c.sdk.generateHASH(code, ABC, null, null);
                Harness.equalBytes(MessageDigest.getInstance(name).digest(ABC), d, "3C alg " + code + " " + name + "(\"abc\")");
                return name + " alg " + code;
            });
        }
        c.h.check("hash.H1H3-SM3-abc", () -> {
            Harness.equal(SM3_ABC, Hex.of(c.sdk.generateHASH(ABC)), "H1/H2/H3 SM3(\"abc\")");
            return "66C7F0F4…";
        });
        c.h.check("hash.H1H3-SHA-256-abc", () -> {
            byte[] d = c.sdk.generateHASH(ABC, 6, new byte[0], null);
            Harness.equalBytes(MessageDigest.getInstance("SHA-256").digest(ABC), d, "H1/H2/H3 alg 6 SHA-256(\"abc\")");
            return "BA7816BF…";
        });
        c.h.check("hash.H1H3-multipart", () -> {
            // 8300 bytes: the SDK sends H2 in 4096-byte chunks (2 × 4096 + 108).
            byte[] big = Ctx.data(8300, 1);
            Harness.equalBytes(Sm3.hash(big), c.sdk.generateHASH(big), "SM3 of 8300 bytes over H1/H2×3/H3");
            Harness.equalBytes(MessageDigest.getInstance("SHA-256").digest(big), c.sdk.generateHASH(big, 6, new byte[0], null), "SHA-256 of 8300 bytes");
            return "SM3 and SHA-256 of 8300 bytes (3 H2 chunks)";
        });
        c.h.check("hash.SM3-with-Z", () -> {
            // SM3(Z || M) with a public key and user ID (GB/T 32918.2 signature digest).
            Sm2.KeyPair kp = Sm2.generateFixed();
            byte[] uid = "1234567812345678".getBytes(StandardCharsets.US_ASCII);
            byte[] pub = Sm2.der(kp.q);
            byte[] expected = Sm2.digest(uid, kp.q, ABC);
            byte[] single = c.sdk.generateHASH(20, ABC, uid, pub);
            byte[] multi = c.sdk.generateHASH(ABC, 20, uid, pub);
            Harness.equalBytes(expected, single, "3C SM3 with Z (uid 1234567812345678, DER public key)");
            Harness.equalBytes(expected, multi, "H1/H3 SM3 with Z");
            return "SM3(Z||M) on 3C and H1-H3";
        });
        c.h.check("hash.SM3-with-Z-default-uid", () -> {
            // generateHASH(data, pub) sends an empty user ID: the device uses the default ID.
            Sm2.KeyPair kp = Sm2.generateFixed();
            byte[] d = c.sdk.generateHASH(ABC, Sm2.der(kp.q));
            byte[] withDefault = Sm2.digest("1234567812345678".getBytes(StandardCharsets.US_ASCII), kp.q, ABC);
            byte[] withEmpty = Sm2.digest(new byte[0], kp.q, ABC);
            if (Arrays.equals(d, withDefault)) return "empty user ID → default ID 1234567812345678 (GM/T 0009)";
            if (Arrays.equals(d, withEmpty)) return "empty user ID hashed as empty (ENTL 0)";
            throw new Harness.CheckFailed("generateHASH(data, pub) = " + Hex.of(d) + " is neither SM3(Z||M) with the default ID nor with an empty ID");
        });
    }
}
