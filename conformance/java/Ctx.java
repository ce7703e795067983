import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * What every check group shares: the SDK, the runner, the fixture (a ZMK whose clear value the
 * tester knows, see docs/conformance.md) and the clear test keys. Test keys are public test
 * vectors (parity-adjusted to odd parity, the device's rule), never real keys.
 */
final class Ctx {
    final Sdk sdk;
    final Harness h;
    final Properties fixture;
    final int hosts;
    final char zmkFlag;
    final String zmkCipher;
    private final byte[] zmkClear;
    /** cryptogram under the LMK per "type/flag", filled by importKnown */
    private final Map<String, String> imported = new HashMap<>();

    Ctx(Sdk sdk, Harness h, Properties fixture, int hosts) {
        this.sdk = sdk;
        this.h = h;
        this.fixture = fixture;
        this.hosts = hosts;
        this.zmkCipher = fixture.getProperty("zmk.cipher");
        this.zmkFlag = fixture.getProperty("zmk.flag", "X").charAt(0);
        String clear = fixture.getProperty("zmk.clear");
        this.zmkClear = clear == null ? null : Hex.bytes(clear);
    }

    /** Flags the SDK's importWorkKey accepts (it refuses M and N locally); exportWorkKey also refuses U and T. */
    static final String IMPORT_FLAGS = "ZXUYTPR";
    static final String EXPORT_FLAGS = "ZXYPR";

    /** A key under the LMK and, when we know it, its clear value. */
    static final class Learned {
        final String lmk;
        final byte[] clear;

        Learned(String lmk, byte[] clear) {
            this.lmk = lmk;
            this.clear = clear;
        }
    }

    private final Map<String, Learned> learned = new HashMap<>();

    /**
     * A key for a flag: a test key imported (flags the SDK can import), else (M, N: the SDK's
     * importWorkKey and genWorkKeyEnc refuse them locally) a random one from genWorkKey, clear
     * value unknown.
     */
    Learned keyFor(String type, char flag) throws Exception {
        if (IMPORT_FLAGS.indexOf(flag) >= 0) return new Learned(known(type, flag, clearKey(flag)), clearKey(flag));
        Learned l = learned.get(type + "/" + flag);
        if (l == null) {
            l = new Learned(sdk.genWorkKey(type, flag, 0, "")[0], null);
            learned.put(type + "/" + flag, l);
        }
        return l;
    }

    boolean hasZmk() {
        return zmkCipher != null && zmkClear != null;
    }

    void needZmk() {
        if (!hasZmk()) throw new Harness.Skipped("no fixture ZMK (zmk.cipher / zmk.clear): see docs/conformance.md");
    }

    /** Clear test key per algorithm flag. */
    static byte[] clearKey(char flag) {
        switch (flag) {
            case 'Z': return Ref.oddParity(Hex.bytes("133457799BBCDFF1"));
            case 'X': return Ref.oddParity(Hex.bytes("0123456789ABCDEFFEDCBA9876543210"));
            case 'U': return Ref.oddParity(Hex.bytes("1032547698BADCFE0123456789ABCDEF"));
            case 'Y': return Ref.oddParity(Hex.bytes("0123456789ABCDEFFEDCBA987654321089ABCDEF01234567"));
            case 'T': return Ref.oddParity(Hex.bytes("FEDCBA98765432100123456789ABCDEF1032547698BADCFE"));
            case 'P': return Ref.oddParity(Hex.bytes("0123456789ABCDEFFEDCBA9876543210"));
            case 'R': return Ref.oddParity(Hex.bytes("2B7E151628AED2A6ABF7158809CF4F3C"));
            case 'M': return Ref.oddParity(Hex.bytes("8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B"));
            case 'N': return Ref.oddParity(Hex.bytes("603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4"));
            default: throw new IllegalArgumentException("no test key for flag " + flag);
        }
    }

    /** A second, different test key of the same flag (for two ZPKs and the like). */
    static byte[] otherKey(char flag) {
        byte[] k = clearKey(flag).clone();
        for (int i = 0; i < k.length; i++) k[i] = (byte) (k[i] ^ 0x5A);
        return Ref.oddParity(k);
    }

    byte[] zmk() {
        needZmk();
        return zmkClear;
    }

    String underZmk(char flag, byte[] key) {
        return Ref.underZmk(zmkFlag, zmk(), flag, key);
    }

    /**
     * importWorkKey of a clear test key under the fixture ZMK (stored when index is 1-2047);
     * checks the answer's check value and returns the cryptogram under the LMK.
     */
    String importKnown(String type, char flag, byte[] key, int index, String label) throws Exception {
        String[] r = sdk.importWorkKey(type, zmkCipher, underZmk(flag, key), flag, index, label);
        Harness.require(r != null && r.length == 2, "importWorkKey answer: " + Json.of(r));
        Harness.equal(Ref.kcv(flag, key), r[1], "importWorkKey check value of the " + flag + " key");
        Harness.require(r[0].length() == 1 + 2 * key.length && r[0].charAt(0) == flag, "importWorkKey key under LMK " + r[0] + ": flag + " + 2 * key.length + "H expected");
        imported.put(type + "/" + flag + "/" + Hex.of(key), r[0]);
        return r[0];
    }

    /** The cryptogram of a test key under the LMK, importing it (not stored) on first use. */
    String known(String type, char flag, byte[] key) throws Exception {
        String c = imported.get(type + "/" + flag + "/" + Hex.of(key));
        return c != null ? c : importKnown(type, flag, key, 0, "");
    }

    static String iv(char flag) {
        return Ref.blockSize(flag) == 16 ? "00112233445566778899AABBCCDDEEFF" : "0011223344556677";
    }

    /** Deterministic test data (the transcripts must not change from run to run). */
    static byte[] data(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed * 7 + 3);
        return b;
    }
}
