import cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Key generation, storage by index and label, key info, import/export under a ZMK, deletion.
 * Indices 1-19 belong to this group.
 */
final class KeyChecks {
    private KeyChecks() {}

    private static final String FLAGS = "ZXUYTPRMN";

    /** CV property without knowing the key: ECB of one zero block with the key itself. */
    static String cvByEncryption(Ctx c, String type, Object key, char flag) throws Exception {
        byte[] zero = new byte[Ref.blockSize(flag)];
        byte[] e = c.sdk.generalDataEnc(0, type, key, null, 0, null, 5, zero, null);
        Harness.require(e != null && e.length == zero.length, "ECB of a zero block: " + zero.length + " bytes expected, got " + (e == null ? "null" : e.length));
        return Hex.of(Hex.slice(e, 0, 8));
    }

    /** getKeyInfo must show what was stored: type, flag, CV, label, a recent UTC update time. */
    static void expectInfo(hsmGeneralFinance.SymmKeyAttribute info, int type, char flag, String cv, String label) {
        Harness.require(info != null, "getKeyInfo returned null");
        Harness.equal(type, info.getKeyType(), "key type");
        Harness.equal(flag, info.getKeyAlgFlag(), "key flag");
        if (cv != null) Harness.equal(cv, info.getKeyCV(), "check value");
        Harness.equal(label, info.getKeyLabel(), "label");
        String t = info.getUpdateTime();
        Harness.require(t != null && t.matches("\\d{14}"), "update time yyyymmddhhmmss expected, got " + t);
        LocalDateTime when = LocalDateTime.parse(t, DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
        long minutes = Math.abs(ChronoUnit.MINUTES.between(when, LocalDateTime.now(ZoneOffset.UTC)));
        Harness.require(minutes <= 10, "update time " + t + " is not within 10 minutes of now (UTC)");
    }

    static void run(Ctx c) {
        c.h.check("keys.genWorkKey-index-label", () -> {
            String[] k = c.sdk.genWorkKey("00A", 'X', 1, "test");
            Harness.require(k.length == 2 && k[0].matches("X[0-9A-F]{32}") && k[1].matches("[0-9A-F]{16}"), "[X+32H, 16H] expected, got " + Json.of(k));
            Harness.equal(k[1], cvByEncryption(c, "00A", k[0], 'X'), "CV = ECB(key, zero block)");
            Harness.equal(k[1], cvByEncryption(c, "00A", 1, 'X'), "CV by index 1");
            expectInfo(c.sdk.getKeyInfo(1), 0x00A, 'X', k[1], "test");
            return "X key at K0001, KG shows type/flag/CV/label/time";
        });
        for (char flag : FLAGS.toCharArray()) {
            c.h.check("keys.genWorkKey-flag-" + flag, () -> {
                String[] k = c.sdk.genWorkKey("00A", flag, 0, "");
                int len = Ref.keyLength(flag);
                Harness.require(k[0].length() == 1 + 2 * len && k[0].charAt(0) == flag, "key under LMK: " + flag + " + " + 2 * len + "H expected, got " + k[0]);
                Harness.equal(k[1], cvByEncryption(c, "00A", k[0], flag), "CV = ECB(key, zero block of " + Ref.blockSize(flag) + ")");
                return len + "-byte key, CV ok";
            });
        }
        c.h.check("keys.genWorkKey-flag-L-refused", () -> {
            int code = Harness.expectThrow(() -> c.sdk.genWorkKey("00A", 'L', 0, ""), "flag L (SM1)");
            Harness.equal(26, code, "error code for L (decision 3)");
            return "26";
        });
        c.h.check("keys.genWorkKey-chinese-label", () -> {
            String[] k = c.sdk.genWorkKey("008", 'P', 2, "中文");
            expectInfo(c.sdk.getKeyInfo(2), 0x008, 'P', k[1], "中文");
            return "label 中文 (UTF-8) stored and read back";
        });
        c.h.check("keys.genWorkKey-long-label", () -> {
            String[] k = c.sdk.genWorkKey("ZPK", 'X', 3, "abcdefghijklmnopqrstuvwxyz");
            expectInfo(c.sdk.getKeyInfo(3), 0x001, 'X', k[1], "abcdefghijklmnop");
            return "label cut to 16 characters by the SDK";
        });
        c.h.check("keys.genWorkKey-replace", () -> {
            String[] k = c.sdk.genWorkKey("00A", 'X', 5, "old");
            String[] k2 = c.sdk.genWorkKey("00A", 'P', 5, "new");
            Harness.equal(k2[1], cvByEncryption(c, "00A", 5, 'P'), "K0005 holds the new key");
            Harness.require(!k[1].equals(k2[1]), "the replaced key has a new CV");
            return "A0 at an occupied index replaces the key";
        });
        c.h.check("keys.getKeyInfo-absent", () -> {
            int code = Harness.expectThrow(() -> c.sdk.getKeyInfo(2048), "getKeyInfo(2048) on an empty slot");
            Harness.equal(45, code, "no key at 2048");
            Harness.require(c.sdk.getKeyInfo(0) == null, "getKeyInfo(0) is null (nothing sent)");
            return "45 for an empty slot";
        });
        c.h.check("keys.importWorkKey", () -> {
            c.needZmk();
            // The SDK's importWorkKey itself refuses M and N (locally, "Value of parameter keyFlag <M> Invalid.").
            for (char flag : Ctx.IMPORT_FLAGS.toCharArray()) c.importKnown("00A", flag, Ctx.clearKey(flag), 0, "");
            int l = Harness.expectThrow(() -> c.sdk.importWorkKey("00A", c.zmkCipher, c.underZmk('X', Ctx.clearKey('X')).replaceFirst("^X", "L"), 'L', 0, ""), "import with flag L");
            Harness.equal(26, l, "flag L (SM1) on import");
            String lmk = c.importKnown("00A", 'X', Ctx.clearKey('X'), 4, "imp");
            expectInfo(c.sdk.getKeyInfo(4), 0x00A, 'X', Ref.kcv('X', Ctx.clearKey('X')), "imp");
            byte[] zero = new byte[8];
            Harness.equalBytes(Ref.ecb(Ref.cipher('X', Ctx.clearKey('X')), zero, true), c.sdk.generalDataEnc(0, "00A", lmk, null, 0, null, 5, zero, null), "the imported key encrypts as the clear test key");
            return Ctx.IMPORT_FLAGS + " imported with the right CV, L refused (26); K0004 stored";
        });
        c.h.check("keys.exportWorkKey", () -> {
            c.needZmk();
            byte[] key = Ctx.clearKey('P');
            String lmk = c.known("00A", 'P', key);
            String[] r = c.sdk.exportWorkKey("00A", c.zmkCipher, lmk, 'P');
            Harness.equal(c.underZmk('P', key), r[0], "key under ZMK");
            Harness.equal(Ref.kcv('P', key), r[1], "CV");
            // A random key at an index, exported: decrypting it here gives a key whose CV is the one A0 returned.
            String[] g = c.sdk.genWorkKey("00A", 'X', 6, "exp");
            String[] e = c.sdk.exportWorkKey("00A", c.zmkCipher, 6, 'X');
            byte[] clear = Ref.ecb(Ref.cipher(c.zmkFlag, c.zmk()), Hex.bytes(e[0].substring(1)), false);
            Harness.equal(g[1], Ref.kcv('X', clear), "CV of the exported random key");
            Harness.equal(g[1], e[1], "CV in the A9 answer");
            return "known key and K0006 exported under the ZMK";
        });
        c.h.check("keys.genWorkKeyEnc", () -> {
            c.needZmk();
            String[] r = c.sdk.genWorkKeyEnc("00A", 'X', c.zmkCipher, 0, "");
            Harness.require(r.length == 3, "[LMK, ZMK, CV] expected, got " + Json.of(r));
            byte[] clear = Ref.ecb(Ref.cipher(c.zmkFlag, c.zmk()), Hex.bytes(r[1].substring(1)), false);
            Harness.equal(r[2], Ref.kcv('X', clear), "CV of the key under ZMK");
            Harness.equal(r[2], cvByEncryption(c, "00A", r[0], 'X'), "CV of the key under LMK");
            // The ZMK stored at an index (imported under itself), used by index, with its flag given.
            c.importKnown("000", c.zmkFlag, c.zmk(), 10, "zmk");
            String[] r2 = c.sdk.genWorkKeyEnc("00A", 'P', 10, c.zmkFlag, 7, "enc");
            byte[] clear2 = Ref.ecb(Ref.cipher(c.zmkFlag, c.zmk()), Hex.bytes(r2[1].substring(1)), false);
            Harness.equal(r2[2], Ref.kcv('P', clear2), "CV of the P key under ZMK K0010");
            expectInfo(c.sdk.getKeyInfo(7), 0x00A, 'P', r2[2], "enc");
            return "mode 1 with ZMK cryptogram and ZMK index";
        });
        c.h.check("keys.deleteKey", () -> {
            c.sdk.genWorkKey("00A", 'X', 8, "del");
            String[] r = c.sdk.deleteKey(1, 8);
            int code = Harness.expectThrow(() -> c.sdk.generalDataEnc(0, "00A", 8, null, 0, null, 5, new byte[8], null), "using K0008 after deleteKey");
            Harness.equal(45, code, "key K0008 after KF");
            return "KF answered " + Json.of(r) + "; K0008 gone (45)";
        });
        c.h.check("keys.wrong-type-refused", () -> {
            // Key-type separation: a ZEK cryptogram presented as a ZAK does not decrypt under the ZAK's LMK.
            String[] k = c.sdk.genWorkKey("00A", 'X', 0, "");
            int code = Harness.expectThrow(() -> c.sdk.generalCalMAC(1, 8, "008", k[0], "", 0, "", 1, "0011223344556677", "0000000000000000"), "ZEK used as ZAK");
            Harness.equal(10, code, "source key parity error (decision 4)");
            return "10";
        });
    }
}
