/** Upper-case hex, as the SDK returns it. */
final class Hex {
    private Hex() {}

    private static final char[] DIGITS = "0123456789ABCDEF".toCharArray();

    static String of(byte[] b) {
        char[] out = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            out[2 * i] = DIGITS[(b[i] >> 4) & 15];
            out[2 * i + 1] = DIGITS[b[i] & 15];
        }
        return new String(out);
    }

    static byte[] bytes(String hex) {
        if (hex.length() % 2 != 0) throw new IllegalArgumentException("odd-length hex");
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) throw new IllegalArgumentException("not hex: " + hex);
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }
}
