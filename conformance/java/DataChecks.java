import java.util.ArrayList;
import java.util.Arrays;

/**
 * Data encryption with known keys (S3/S4, D3/D4, big data, blocks): every answer compared with
 * the reference cipher. Indices 20-29 belong to this group.
 */
final class DataChecks {
    private DataChecks() {}

    private static final String FLAGS = "ZXYPRMN";
    private static final String[] MODES = {"ECB", "CBC", "CFB", "OFB"};

    /** The device's ECB with one key as a block cipher (S3/S4, pad 05, one block per call). */
    static Ref.Block ecbOracle(Ctx c, String lmk, int size) {
        return new Ref.Block() {
            public int size() { return size; }
            public byte[] enc(byte[] b) { return call(true, b); }
            public byte[] dec(byte[] b) { return call(false, b); }

            private byte[] call(boolean encrypt, byte[] b) {
                try {
                    return encrypt ? c.sdk.generalDataEnc(0, "00A", lmk, null, 0, null, 5, b, null) : c.sdk.generalDataDec(0, "00A", lmk, "", 0, "", 5, b, null);
                } catch (Exception e) {
                    throw new Harness.CheckFailed("ECB of one block: " + e.getMessage());
                }
            }
        };
    }

    static void run(Ctx c) {
        for (char flag : FLAGS.toCharArray()) {
            c.h.check("data.modes-" + flag, () -> {
                c.needZmk();
                Ctx.Learned k = c.keyFor("00A", flag);
                String lmk = k.lmk;
                // No clear value (M, N): the modes are checked against the device's own ECB.
                Ref.Block ref = k.clear != null ? Ref.cipher(flag, k.clear) : ecbOracle(c, lmk, Ref.blockSize(flag));
                byte[] data = Ctx.data(32, flag);
                String iv = Ctx.iv(flag);
                for (int mode = 0; mode < 4; mode++) {
                    String ivArg = mode == 0 ? null : iv;
                    byte[] enc = c.sdk.generalDataEnc(mode, "00A", lmk, null, 0, null, 5, data, ivArg);
                    Harness.equalBytes(Ref.crypt(mode, ref, Hex.bytes(iv), data, true), enc, flag + " " + MODES[mode] + " encrypt");
                    Harness.equalBytes(data, c.sdk.generalDataDec(mode, "00A", lmk, "", 0, "", 5, enc, ivArg), flag + " " + MODES[mode] + " decrypt");
                }
                return k.clear != null ? "ECB/CBC/CFB/OFB equal the reference" : "CBC/CFB/OFB equal the modes built on the device's ECB (clear key unknown: the SDK cannot import " + flag + ")";
            });
        }
        for (char flag : "XP".toCharArray()) {
            c.h.check("data.pads-" + flag, () -> {
                c.needZmk();
                byte[] key = Ctx.clearKey(flag);
                String lmk = c.known("00A", flag, key);
                Ref.Block ref = Ref.cipher(flag, key);
                int n = ref.size();
                byte[] data = Ctx.data(13, 2);
                StringBuilder notes = new StringBuilder();
                for (int pad : new int[] {0, 1, 2, 3, 4}) {
                    for (int mode = 0; mode < 2; mode++) {
                        String ivArg = mode == 0 ? null : Ctx.iv(flag);
                        byte[] enc = c.sdk.generalDataEnc(mode, "00A", lmk, null, 0, null, pad, data, ivArg);
                        byte[] padded = Ref.pad(pad, data, n);
                        Harness.equalBytes(Ref.crypt(mode, ref, Hex.bytes(Ctx.iv(flag)), padded, true), enc, flag + " pad " + pad + " " + MODES[mode]);
                        byte[] dec = c.sdk.generalDataDec(mode, "00A", lmk, "", 0, "", pad, enc, ivArg);
                        // Padding that only appears when the data is not aligned (0, 2) cannot be
                        // told from data: the device may keep it on decryption.
                        boolean ok = Arrays.equals(data, dec) || ((pad == 0 || pad == 2) && Arrays.equals(padded, dec));
                        Harness.require(ok, flag + " pad " + pad + " " + MODES[mode] + " decrypt: got " + Hex.of(dec));
                        if ((pad == 0 || pad == 2) && mode == 0) notes.append(" pad ").append(pad).append(Arrays.equals(data, dec) ? " removed" : " kept");
                    }
                }
                byte[] enc16 = c.sdk.generalDataEnc(0, "00A", lmk, null, 0, null, 16, data, null);
                Harness.require(enc16.length % n == 0 && enc16.length > data.length, "pad 16 (PBOC3 ENC): a padded ciphertext expected, got " + enc16.length + " bytes");
                Harness.equalBytes(data, c.sdk.generalDataDec(0, "00A", lmk, "", 0, "", 16, enc16, null), "pad 16 round trip");
                int code = Harness.expectThrow(() -> c.sdk.generalDataEnc(0, "00A", lmk, null, 0, null, 5, data, null), "pad 5 (none) on 13 bytes");
                Harness.equal(15, code, "unaligned data without padding");
                return "pads 0-4 equal the SDK's PaddingMode meanings, 16 round-trips;" + notes;
            });
        }
        c.h.check("data.diversify-session", () -> {
            // PBOC/UnionPay diversification: child = odd-parity ECB(parent, F) per 16-byte factor;
            // session key type 1: SK = odd-parity ECB(K, F || NOT F) for an 8-byte factor.
            c.needZmk();
            byte[] data = Ctx.data(16, 11);
            String f1 = "0123456789ABCDEF0123456789ABCDEF".substring(0, 16) + "FEDCBA9876543210";
            String f2 = "1122334455667788EEDDCCBBAA998877";
            String sess = "A1B2C3D4E5F60718";
            for (char flag : "XP".toCharArray()) {
                byte[] key = Ctx.clearKey(flag);
                String lmk = c.known("00A", flag, key);
                Ref.Block parent = Ref.cipher(flag, key);
                byte[] child1 = Ref.oddParity(Ref.ecb(parent, Hex.bytes(f1), true));
                byte[] child2 = Ref.oddParity(Ref.ecb(Ref.cipher(flag, child1), Hex.bytes(f2), true));
                Harness.equalBytes(Ref.ecb(Ref.cipher(flag, child1), data, true), c.sdk.generalDataEnc(0, "00A", lmk, f1, 0, null, 5, data, null), flag + " one level");
                Harness.equalBytes(Ref.ecb(Ref.cipher(flag, child2), data, true), c.sdk.generalDataEnc(0, "00A", lmk, f1 + f2, 0, null, 5, data, null), flag + " two levels");
                byte[] sf = Hex.bytes(sess);
                byte[] notSf = new byte[8];
                for (int i = 0; i < 8; i++) notSf[i] = (byte) ~sf[i];
                byte[] sk = Ref.oddParity(Ref.ecb(Ref.cipher(flag, child1), Hex.concat(sf, notSf), true));
                Harness.equalBytes(Ref.ecb(Ref.cipher(flag, sk), data, true), c.sdk.generalDataEnc(0, "00A", lmk, f1, 1, sess, 5, data, null), flag + " one level + session key 1");
            }
            return "X and P: 1 and 2 levels, session key type 1";
        });
        c.h.check("data.by-index", () -> {
            c.needZmk();
            String lmkX = c.importKnown("00A", 'X', Ctx.clearKey('X'), 20, "dx");
            c.importKnown("00A", 'P', Ctx.clearKey('P'), 21, "dp");
            byte[] data = Ctx.data(16, 3);
            Harness.equalBytes(c.sdk.generalDataEnc(1, "00A", lmkX, null, 0, null, 5, data, Ctx.iv('X')), c.sdk.generalDataEnc(1, "00A", 20, null, 0, null, 5, data, Ctx.iv('X')), "K0020 = its cryptogram");
            Harness.equalBytes(Ref.ecb(Ref.cipher('P', Ctx.clearKey('P')), data, true), c.sdk.generalDataEnc(0, "00A", 21, null, 0, null, 5, data, null), "K0021 (SM4)");
            return "stored keys by index";
        });
        c.h.check("data.dataEnc-dataDec", () -> {
            c.needZmk();
            for (char flag : "XP".toCharArray()) {
                byte[] key = Ctx.clearKey(flag);
                String lmk = c.known("00A", flag, key);
                byte[] data = Ctx.data(32, 4);
                for (int mode = 0; mode < 2; mode++) {
                    String ivArg = mode == 0 ? "" : Ctx.iv(flag);
                    String enc = c.sdk.dataEnc(mode, "ZEK", lmk, null, 0, null, 5, Hex.of(data), ivArg);
                    Harness.equal(Hex.of(Ref.crypt(mode, Ref.cipher(flag, key), Hex.bytes(Ctx.iv(flag)), data, true)), enc, flag + " D3 " + MODES[mode]);
                    Harness.equal(Hex.of(data), c.sdk.dataDec(mode, "ZEK", lmk, "", 0, "", 5, enc, ivArg), flag + " D4 " + MODES[mode]);
                }
            }
            return "hex-data D3/D4 equal the reference";
        });
        c.h.check("data.bigData", () -> {
            c.needZmk();
            byte[] data = Ctx.data(8200, 5);
            for (char flag : "XP".toCharArray()) {
                byte[] key = Ctx.clearKey(flag);
                String lmk = c.known("00A", flag, key);
                Ref.Block ref = Ref.cipher(flag, key);
                String iv = Ctx.iv(flag);
                byte[] enc = c.sdk.bigDatageneralEnc(1, lmk, 1, iv, data);
                Harness.equalBytes(Ref.crypt(1, ref, Hex.bytes(iv), Ref.pad(1, data, ref.size()), true), enc, flag + " CBC over 8200 bytes (3 chunks)");
                Harness.equalBytes(data, c.sdk.bigDatageneralDnc(1, lmk, 1, iv, enc), flag + " big-data decrypt");
                if (flag == 'X') {
                    byte[] ecb = c.sdk.bigDatageneralEnc(0, lmk, 4, null, data);
                    Harness.equalBytes(Ref.ecb(ref, Ref.pad(4, data, ref.size()), true), ecb, flag + " ECB PKCS#5 over 8200 bytes");
                }
            }
            return "4096-byte chunks, CBC chaining (X, P), last-chunk padding, ECB (X)";
        });
        c.h.check("data.blocksEncrypt", () -> {
            c.needZmk();
            byte[] key = Ctx.clearKey('P');
            String lmk = c.known("00A", 'P', key);
            ArrayList<byte[]> blocks = new ArrayList<>();
            blocks.add(Ctx.data(3, 6));
            blocks.add(Ctx.data(16, 7));
            blocks.add(Ctx.data(21, 8));
            Ref.Block ref = Ref.cipher('P', key);
            // The last argument is a padding code; the SDK pads each block itself to 16 bytes
            // (observed: 0 = 80 00… when not aligned, 1 = always, 2 = zeros, 3 = ANSI X9.23) and
            // sends all blocks in one S3 (ECB, pad 05).
            for (int padCode : new int[] {0, 1, 3}) {
                ArrayList<byte[]> enc = c.sdk.blocksEncrypt("00A", lmk, "", 0, "", blocks, padCode);
                Harness.require(enc != null && enc.size() == blocks.size(), "one result per block expected, got " + (enc == null ? "null" : enc.size()));
                for (int i = 0; i < blocks.size(); i++) {
                    Harness.equalBytes(Ref.ecb(ref, Ref.pad(padCode, blocks.get(i), 16), true), enc.get(i), "padding " + padCode + ", block " + i);
                }
                // Observed: blocksDecrypt with padding 1 crashes inside the SDK
                // (ArrayIndexOutOfBoundsException) on a block that was whole before padding,
                // although the device's S4 answer is right; so it is not called for 1.
                if (padCode == 1) continue;
                ArrayList<byte[]> dec = c.sdk.blocksDecrypt("00A", lmk, "", 0, "", enc, padCode);
                Harness.require(dec != null && dec.size() == blocks.size(), "blocksDecrypt: one result per block");
                for (int i = 0; i < blocks.size(); i++) {
                    byte[] d = dec.get(i);
                    Harness.require(d != null && Arrays.equals(blocks.get(i), Arrays.copyOf(d, blocks.get(i).length)), "padding " + padCode + ", block " + i + " decrypt: got " + (d == null ? "null" : Hex.of(d)));
                }
            }
            return "3 blocks in one S3, paddings 0, 1, 3 (decrypt: 0, 3)";
        });
    }
}
