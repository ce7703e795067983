import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reference cryptography: what the device's answers must equal, computed here from clear test
 * keys (DES/3DES/AES through javax.crypto, SM4 through Sm4.java). Key flags as in the protocol
 * decisions (docs/host-protocol.md): Z DES, X/U 3DES-2, Y/T 3DES-3, P SM4, R/M/N AES-128/192/256.
 */
final class Ref {
    private Ref() {}

    /** One block cipher with a clear key. */
    interface Block {
        int size();

        byte[] enc(byte[] block);

        byte[] dec(byte[] block);
    }

    static int keyLength(char flag) {
        switch (flag) {
            case 'Z': return 8;
            case 'X': case 'U': case 'P': case 'R': return 16;
            case 'Y': case 'T': case 'M': return 24;
            case 'N': return 32;
            default: throw new IllegalArgumentException("no reference cipher for key flag " + flag);
        }
    }

    static int blockSize(char flag) {
        return "PRMN".indexOf(flag) >= 0 ? 16 : 8;
    }

    static Block cipher(char flag, byte[] key) {
        if (key.length != keyLength(flag)) throw new IllegalArgumentException("key length " + key.length + " does not fit flag " + flag);
        if (flag == 'P') {
            Sm4 sm4 = new Sm4(key);
            return new Block() {
                public int size() { return 16; }
                public byte[] enc(byte[] b) { return sm4.encryptBlock(b); }
                public byte[] dec(byte[] b) { return sm4.decryptBlock(b); }
            };
        }
        String alg;
        byte[] k = key;
        if (flag == 'Z') alg = "DES";
        else if ("RMN".indexOf(flag) >= 0) alg = "AES";
        else {
            alg = "DESede";
            if (key.length == 16) k = Hex.concat(key, Hex.slice(key, 0, 8));
        }
        SecretKeySpec spec = new SecretKeySpec(k, alg);
        String transformation = alg + "/ECB/NoPadding";
        int size = alg.equals("AES") ? 16 : 8;
        return new Block() {
            public int size() { return size; }
            public byte[] enc(byte[] b) { return run(Cipher.ENCRYPT_MODE, b); }
            public byte[] dec(byte[] b) { return run(Cipher.DECRYPT_MODE, b); }

            private byte[] run(int mode, byte[] b) {
                try {
                    Cipher c = Cipher.getInstance(transformation);
                    c.init(mode, spec);
                    return c.doFinal(b);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    static byte[] oddParity(byte[] key) {
        byte[] out = key.clone();
        for (int i = 0; i < out.length; i++) {
            int b = out[i] & 0xfe;
            out[i] = (byte) (Integer.bitCount(b) % 2 == 0 ? b | 1 : b);
        }
        return out;
    }

    static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[Math.min(a.length, b.length)];
        for (int i = 0; i < out.length; i++) out[i] = (byte) (a[i] ^ b[i]);
        return out;
    }

    /** Check value: one zero block encrypted in ECB, first 8 bytes, 16H. */
    static String kcv(char flag, byte[] key) {
        Block c = cipher(flag, key);
        return Hex.of(Hex.slice(c.enc(new byte[c.size()]), 0, 8));
    }

    /** A key under a ZMK: its flag + hex(ECB(ZMK, key)). */
    static String underZmk(char zmkFlag, byte[] zmk, char keyFlag, byte[] key) {
        return keyFlag + Hex.of(ecb(cipher(zmkFlag, zmk), key, true));
    }

    static byte[] ecb(Block c, byte[] data, boolean encrypt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int off = 0; off < data.length; off += c.size()) {
            byte[] b = Hex.slice(data, off, off + c.size());
            out.writeBytes(encrypt ? c.enc(b) : c.dec(b));
        }
        return out.toByteArray();
    }

    /**
     * ECB (0), CBC (1), CFB (2, full-block feedback) and OFB (3) on block-aligned data (CFB and
     * OFB also on a last partial block).
     */
    static byte[] crypt(int mode, Block c, byte[] iv, byte[] data, boolean encrypt) {
        if (mode == 0) return ecb(c, data, encrypt);
        int n = c.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chain = iv.clone();
        for (int off = 0; off < data.length; off += n) {
            byte[] b = Hex.slice(data, off, Math.min(off + n, data.length));
            byte[] r;
            switch (mode) {
                case 1:
                    if (encrypt) {
                        r = c.enc(xor(b, chain));
                        chain = r;
                    } else {
                        r = xor(c.dec(b), chain);
                        chain = b;
                    }
                    break;
                case 2: {
                    byte[] ks = c.enc(chain);
                    r = xor(b, ks);
                    chain = encrypt ? r : b;
                    break;
                }
                case 3:
                    chain = c.enc(chain);
                    r = xor(b, chain);
                    break;
                default:
                    throw new IllegalArgumentException("mode " + mode);
            }
            out.writeBytes(r);
        }
        return out.toByteArray();
    }

    /**
     * Pads by the SDK's padding codes, as its public enum SJJ1310$PaddingMode names them
     * (getValue/getName) and as its own blocksEncrypt pads locally (observed): 0 PBOC2 ENC
     * (80 00… only when not aligned), 1 ISO 9797-1 method 2 (80 00…, always), 2 ISO 9797-1
     * method 1 (00…, only when not aligned), 3 ANSI X9.23 (00… + count, always), 4 PKCS#5,
     * 5 none. Others: null (no reference).
     */
    static byte[] pad(int code, byte[] data, int n) {
        int r = data.length % n;
        switch (code) {
            case 0: {
                if (r == 0 && data.length > 0) return data.clone();
                byte[] out = Arrays.copyOf(data, data.length + (n - r));
                out[data.length] = (byte) 0x80;
                return out;
            }
            case 1: {
                byte[] out = Arrays.copyOf(data, data.length + (n - r));
                out[data.length] = (byte) 0x80;
                return out;
            }
            case 2:
                return r == 0 ? data.clone() : Arrays.copyOf(data, data.length + (n - r));
            case 3: {
                byte[] out = Arrays.copyOf(data, data.length + (n - r));
                out[out.length - 1] = (byte) (n - r);
                return out;
            }
            case 4: {
                byte[] out = Arrays.copyOf(data, data.length + (n - r));
                Arrays.fill(out, data.length, out.length, (byte) (n - r));
                return out;
            }
            case 5:
                return data.clone();
            default:
                return null;
        }
    }

    /** ISO 9797-1 MAC algorithm 1 (CBC-MAC, full key) or 3 (retail MAC, DES keys only); 8 or 16-byte result. */
    static byte[] mac(int alg, char flag, byte[] key, byte[] iv, byte[] padded) {
        if (alg == 1) {
            Block c = cipher(flag, key);
            byte[] chain = iv.clone();
            for (int off = 0; off < padded.length; off += c.size()) chain = c.enc(xor(Hex.slice(padded, off, off + c.size()), chain));
            return chain;
        }
        if (alg == 3) {
            Block k1 = cipher('Z', Hex.slice(key, 0, 8));
            Block k2 = cipher('Z', Hex.slice(key, 8, 16));
            byte[] chain = iv.clone();
            for (int off = 0; off < padded.length; off += 8) chain = k1.enc(xor(Hex.slice(padded, off, off + 8), chain));
            return k1.enc(k2.dec(chain));
        }
        throw new IllegalArgumentException("MAC algorithm " + alg);
    }

    /** ISO 9564 format 0 (the SDK's format 01): PIN field XOR account field (12 digits given). */
    static byte[] pinBlockIso0(String pin, String account12) {
        return pinBlockIso0(pin, account12, 8);
    }

    /**
     * Format 0 on `bytes`-byte blocks: 8 (ISO 9564-1), or 16 for SM4/AES keys (docs/host-protocol.md
     * 2.9: PIN field to 32 nibbles, PAN field 20 zero nibbles + the 12 account digits).
     */
    static byte[] pinBlockIso0(String pin, String account12, int bytes) {
        StringBuilder p = new StringBuilder().append('0').append(Integer.toHexString(pin.length()).toUpperCase()).append(pin);
        while (p.length() < 2 * bytes) p.append('F');
        StringBuilder pan = new StringBuilder(account12);
        while (pan.length() < 2 * bytes) pan.insert(0, '0');
        return xor(Hex.bytes(p.toString()), Hex.bytes(pan.toString()));
    }

    /** Visa CVV (CVK A = left half, CVK B = right half). */
    static String cvv(byte[] cvk, String pan, String expiry, String service) {
        StringBuilder d = new StringBuilder(pan).append(expiry).append(service);
        while (d.length() < 32) d.append('0');
        byte[] b1 = Hex.bytes(d.substring(0, 16)), b2 = Hex.bytes(d.substring(16, 32));
        Block a = cipher('Z', Hex.slice(cvk, 0, 8));
        Block b = cipher('Z', Hex.slice(cvk, 8, 16));
        byte[] r = a.enc(b.dec(a.enc(xor(a.enc(b1), b2))));
        String h = Hex.of(r);
        StringBuilder digits = new StringBuilder();
        for (char ch : h.toCharArray()) if (Character.isDigit(ch)) digits.append(ch);
        for (char ch : h.toCharArray()) if (!Character.isDigit(ch)) digits.append((char) ('0' + (ch - 'A')));
        return digits.substring(0, 3);
    }
}
