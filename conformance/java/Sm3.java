/**
 * SM3 (GB/T 32905-2016), our own implementation: the reference the device's hashes, SM2 Z
 * values and SM2 signatures are checked against. Self-test: "abc" → 66c7f0f4….
 */
final class Sm3 {
    private Sm3() {}

    private static final int[] IV = {
        0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
    };

    static byte[] hash(byte[] msg) {
        long bitLen = (long) msg.length * 8;
        int padded = ((msg.length + 9 + 63) / 64) * 64;
        byte[] m = new byte[padded];
        System.arraycopy(msg, 0, m, 0, msg.length);
        m[msg.length] = (byte) 0x80;
        for (int i = 0; i < 8; i++) m[padded - 1 - i] = (byte) (bitLen >>> (8 * i));
        int[] v = IV.clone();
        int[] w = new int[68];
        int[] w1 = new int[64];
        for (int off = 0; off < padded; off += 64) {
            for (int j = 0; j < 16; j++) {
                w[j] = ((m[off + 4 * j] & 0xff) << 24) | ((m[off + 4 * j + 1] & 0xff) << 16) | ((m[off + 4 * j + 2] & 0xff) << 8) | (m[off + 4 * j + 3] & 0xff);
            }
            for (int j = 16; j < 68; j++) {
                int x = w[j - 16] ^ w[j - 9] ^ Integer.rotateLeft(w[j - 3], 15);
                w[j] = p1(x) ^ Integer.rotateLeft(w[j - 13], 7) ^ w[j - 6];
            }
            for (int j = 0; j < 64; j++) w1[j] = w[j] ^ w[j + 4];
            int a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
            for (int j = 0; j < 64; j++) {
                int t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
                int ss1 = Integer.rotateLeft(Integer.rotateLeft(a, 12) + e + Integer.rotateLeft(t, j % 32), 7);
                int ss2 = ss1 ^ Integer.rotateLeft(a, 12);
                int ff = j < 16 ? (a ^ b ^ c) : ((a & b) | (a & c) | (b & c));
                int gg = j < 16 ? (e ^ f ^ g) : ((e & f) | (~e & g));
                int tt1 = ff + d + ss2 + w1[j];
                int tt2 = gg + h + ss1 + w[j];
                d = c;
                c = Integer.rotateLeft(b, 9);
                b = a;
                a = tt1;
                h = g;
                g = Integer.rotateLeft(f, 19);
                f = e;
                e = p0(tt2);
            }
            v[0] ^= a; v[1] ^= b; v[2] ^= c; v[3] ^= d; v[4] ^= e; v[5] ^= f; v[6] ^= g; v[7] ^= h;
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 8; i++) {
            out[4 * i] = (byte) (v[i] >>> 24);
            out[4 * i + 1] = (byte) (v[i] >>> 16);
            out[4 * i + 2] = (byte) (v[i] >>> 8);
            out[4 * i + 3] = (byte) v[i];
        }
        return out;
    }

    private static int p0(int x) {
        return x ^ Integer.rotateLeft(x, 9) ^ Integer.rotateLeft(x, 17);
    }

    private static int p1(int x) {
        return x ^ Integer.rotateLeft(x, 15) ^ Integer.rotateLeft(x, 23);
    }
}
