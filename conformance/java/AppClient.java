import cn.tass.exceptions.TAException;
import cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The vendor SDK as a long-running application client, for the HA scenarios
 * (scenarios/ha.spec.ts with applicationClient vendor-sdk; docs/conformance.md).
 *
 *   java -cp <SDK jars>:<classes> AppClient --config '{[HOST1];…}'   (or a cacipher.ini path)
 *
 * It calls hsmGeneralFinance.getInstance(config) once, prints
 *   @@APP {"ready":true,"ms":N}          (or {"ready":false,"code":N,"message":…} and exits 1)
 * then reads one JSON object per line on stdin and answers each with one line
 *   @@APP {"id":N,"ok":true,"result":…,"ms":N}   or   @@APP {"id":N,"ok":false,"code":N,"message":…,"ms":N}
 * Requests (flat objects, string and integer values only):
 *   {"id":1,"op":"mac","keyType":"008","key":"P…","pad":1,"iv":"00…","data":"HEX"}
 *       → generalCalMAC(1, 8, keyType, key, "", 0, "", pad, data, iv): the S0 MAC, hex
 *   {"id":2,"op":"serial"}  → getDeviceSerial(), the serials joined by ","
 *   {"id":3,"op":"quit"}    → exits 0 (so does the end of stdin)
 * The SDK prints its own debug lines on stdout too: only lines starting "@@APP " are ours.
 * Keys travel as cryptograms under the LMK only; nothing secret is printed.
 */
final class AppClient {
    private AppClient() {}

    public static void main(String[] argv) throws Exception {
        String config = null;
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--config") && i + 1 < argv.length) config = argv[++i];
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        if (config == null) {
            System.err.println("usage: AppClient --config <cacipher.ini path | {…} string form>");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        hsmGeneralFinance api;
        try {
            api = hsmGeneralFinance.getInstance(config);
        } catch (Exception e) {
            Map<String, Object> m = failure(e);
            m.put("ready", false);
            emit(out, m);
            System.exit(1);
            return;
        }
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("ready", true);
        ready.put("ms", (System.nanoTime() - t0) / 1_000_000);
        emit(out, ready);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            Map<String, Object> req;
            try {
                req = parse(line);
            } catch (IllegalArgumentException e) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ok", false);
                m.put("code", -1);
                m.put("message", "bad request line: " + e.getMessage());
                emit(out, m);
                continue;
            }
            String op = String.valueOf(req.get("op"));
            if (op.equals("quit")) break;
            long s = System.nanoTime();
            Map<String, Object> m;
            try {
                Object result;
                switch (op) {
                    case "mac":
                        result = api.generalCalMAC(1, 8, str(req, "keyType"), str(req, "key"), "", 0, "", num(req, "pad"), str(req, "data"), str(req, "iv"));
                        break;
                    case "serial":
                        result = String.join(",", api.getDeviceSerial());
                        break;
                    default:
                        throw new IllegalArgumentException("unknown op " + op);
                }
                m = new LinkedHashMap<>();
                m.put("ok", true);
                m.put("result", result);
            } catch (Exception e) {
                m = failure(e);
            }
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("id", req.get("id"));
            answer.putAll(m);
            answer.put("ms", (System.nanoTime() - s) / 1_000_000);
            emit(out, answer);
        }
        System.exit(0);
    }

    private static Map<String, Object> failure(Exception e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", false);
        m.put("code", e instanceof TAException ? Harness.deviceCode((TAException) e) : -1);
        m.put("message", e.getClass().getSimpleName() + ": " + e.getMessage());
        return m;
    }

    private static void emit(PrintStream out, Map<String, Object> m) {
        synchronized (out) {
            out.println("@@APP " + Json.of(m));
        }
    }

    private static String str(Map<String, Object> r, String k) {
        Object v = r.get(k);
        if (!(v instanceof String)) throw new IllegalArgumentException("field " + k + " must be a string");
        return (String) v;
    }

    private static int num(Map<String, Object> r, String k) {
        Object v = r.get(k);
        if (!(v instanceof Long)) throw new IllegalArgumentException("field " + k + " must be an integer");
        return ((Long) v).intValue();
    }

    /** A flat JSON object of string and integer values (what the TypeScript side sends). */
    static Map<String, Object> parse(String s) {
        Map<String, Object> m = new LinkedHashMap<>();
        int[] i = {skip(s, 0)};
        expect(s, i, '{');
        if (peek(s, i) == '}') return m;
        while (true) {
            String k = string(s, i);
            expect(s, i, ':');
            char c = peek(s, i);
            if (c == '"') m.put(k, string(s, i));
            else {
                int start = i[0];
                while (i[0] < s.length() && (Character.isDigit(s.charAt(i[0])) || s.charAt(i[0]) == '-')) i[0]++;
                if (start == i[0]) throw new IllegalArgumentException("value of " + k + " is neither a string nor an integer");
                m.put(k, Long.parseLong(s.substring(start, i[0])));
            }
            char n = peek(s, i);
            i[0]++;
            if (n == '}') return m;
            if (n != ',') throw new IllegalArgumentException("',' or '}' expected at " + (i[0] - 1));
        }
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    private static char peek(String s, int[] i) {
        i[0] = skip(s, i[0]);
        if (i[0] >= s.length()) throw new IllegalArgumentException("unexpected end");
        return s.charAt(i[0]);
    }

    private static void expect(String s, int[] i, char c) {
        if (peek(s, i) != c) throw new IllegalArgumentException("'" + c + "' expected at " + i[0]);
        i[0]++;
    }

    private static String string(String s, int[] i) {
        expect(s, i, '"');
        StringBuilder sb = new StringBuilder();
        while (i[0] < s.length()) {
            char c = s.charAt(i[0]++);
            if (c == '"') return sb.toString();
            if (c == '\\') {
                char e = s.charAt(i[0]++);
                switch (e) {
                    case 'n': sb.append('\n'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': sb.append((char) Integer.parseInt(s.substring(i[0], i[0] + 4), 16)); i[0] += 4; break;
                    default: sb.append(e);
                }
            } else sb.append(c);
        }
        throw new IllegalArgumentException("unterminated string");
    }
}
