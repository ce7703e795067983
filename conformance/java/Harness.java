import cn.tass.exceptions.TAException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runner's plumbing: every SDK call goes through call(), every check through check().
 *
 * Output (stdout, one JSON object per line, docs/conformance.md):
 *   {"check":NAME,"ok":true|false,"detail":TEXT,"ms":N}        per check
 *   {"summary":{...}}                                           at the end
 * With --sync (the recording proxy), each SDK call is bracketed by
 *   @@CALL {"call":…,"method":…,"args":[…]}   then the program waits for one line on stdin
 *   @@DONE {"returned":…} or {"threw":{"code":N,"message":…}}
 * so the proxy can assign the frames it sees to the call. The SDK's own debug prints on stdout
 * start with neither "{" nor "@@".
 */
final class Harness {
    interface SdkCall<T> {
        T run() throws Exception;
    }

    interface Body {
        String run() throws Exception;
    }

    static final class CheckFailed extends RuntimeException {
        CheckFailed(String m) {
            super(m);
        }
    }

    static final class Skipped extends RuntimeException {
        Skipped(String m) {
            super(m);
        }
    }

    private final PrintStream out;
    private final boolean sync;
    private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int passed, failed, skipped, calls;

    Harness(boolean sync) {
        this.sync = sync;
        this.out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    }

    synchronized void line(String s) {
        out.println(s);
        out.flush();
    }

    /** One SDK call, announced to the recorder when --sync is on. */
    <T> T call(String method, Object[] args, SdkCall<T> fn) throws Exception {
        calls++;
        if (sync) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("call", display(method, args));
            m.put("method", method);
            m.put("args", args);
            line("@@CALL " + Json.of(m));
            try {
                if (in.readLine() == null) throw new IOException("recorder closed stdin");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            T r = fn.run();
            if (sync) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("returned", returnedJson(r));
                line("@@DONE " + Json.of(m));
            }
            return r;
        } catch (Exception e) {
            if (sync) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("threw", threwJson(e));
                line("@@DONE " + Json.of(m));
            }
            throw e;
        }
    }

    /** SymmKeyAttribute has no JSON shape of its own: its getters become an object. */
    static Object returnedJson(Object r) {
        if (r instanceof cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance) return null; // getInstance: the object itself says nothing
        if (r instanceof cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance.SymmKeyAttribute) {
            cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance.SymmKeyAttribute a = (cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance.SymmKeyAttribute) r;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("keyType", a.getKeyType());
            m.put("keyAlgFlag", a.getKeyAlgFlag());
            m.put("keyCV", a.getKeyCV());
            m.put("keyLabel", a.getKeyLabel());
            m.put("updateTime", a.getUpdateTime());
            return m;
        }
        return r;
    }

    static Map<String, Object> threwJson(Throwable e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (e instanceof TAException) m.put("code", ((TAException) e).getErrorCode());
        else m.put("exception", e.getClass().getName());
        m.put("message", String.valueOf(e.getMessage()));
        return m;
    }

    static String display(String method, Object[] args) {
        StringBuilder sb = new StringBuilder(method).append('(');
        for (int i = 0; i < args.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(literal(args[i]));
        }
        return sb.append(')').toString();
    }

    private static String literal(Object a) {
        if (a == null) return "null";
        if (a instanceof String) {
            StringBuilder sb = new StringBuilder();
            Json.string(sb, (String) a);
            return sb.toString();
        }
        if (a instanceof Character) return "'" + a + "'";
        if (a instanceof byte[]) {
            byte[] b = (byte[]) a;
            return b.length <= 64 ? "hex\"" + Hex.of(b) + "\"" : "byte[" + b.length + "]";
        }
        if (a instanceof List) {
            List<String> parts = new ArrayList<>();
            for (Object o : (List<?>) a) parts.add(literal(o));
            return "[" + String.join(",", parts) + "]";
        }
        return String.valueOf(a);
    }

    /** Runs one check; any exception fails it (a TAException with its code and message). */
    void check(String name, Body body) {
        long t0 = System.nanoTime();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("check", name);
        try {
            String detail = body.run();
            m.put("ok", true);
            m.put("detail", detail == null ? "" : detail);
            passed++;
        } catch (Skipped s) {
            m.put("ok", true);
            m.put("skipped", true);
            m.put("detail", s.getMessage());
            skipped++;
        } catch (CheckFailed f) {
            m.put("ok", false);
            m.put("detail", f.getMessage());
            failed++;
        } catch (Throwable e) {
            m.put("ok", false);
            Map<String, Object> t = threwJson(e);
            m.put("detail", "unexpected " + (t.containsKey("code") ? "TAException code " + t.get("code") : String.valueOf(t.get("exception"))) + ": " + t.get("message"));
            failed++;
        }
        m.put("ms", (System.nanoTime() - t0) / 1_000_000);
        line(Json.of(m));
    }

    static void require(boolean cond, String what) {
        if (!cond) throw new CheckFailed(what);
    }

    static void equal(Object expected, Object actual, String what) {
        if (expected == null ? actual != null : !expected.equals(actual)) throw new CheckFailed(what + ": expected " + expected + ", got " + actual);
    }

    static void equalBytes(byte[] expected, byte[] actual, String what) {
        if (actual == null || !java.util.Arrays.equals(expected, actual)) {
            throw new CheckFailed(what + ": expected " + Hex.of(expected) + ", got " + (actual == null ? "null" : Hex.of(actual)));
        }
    }

    /** The call must throw a TAException; returns its error code. */
    static int expectThrow(SdkCall<?> c, String what) throws Exception {
        Object r;
        try {
            r = c.run();
        } catch (TAException e) {
            return deviceCode(e);
        }
        throw new CheckFailed(what + ": expected a TAException, got " + Json.of(returnedJson(r)));
    }

    /**
     * The device's error code of a TAException. Some methods (generalCalMAC, …) throw code 0 with
     * the device's code only in the message ("Failed. Error [10] ,…"): read it from there.
     */
    static int deviceCode(TAException e) {
        if (e.getErrorCode() != 0) return e.getErrorCode();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Error \\[(\\d+)\\]").matcher(String.valueOf(e.getMessage()));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    void summary(long ms) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("checks", passed + failed + skipped);
        s.put("passed", passed);
        s.put("failed", failed);
        s.put("skipped", skipped);
        s.put("calls", calls);
        s.put("ms", ms);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("summary", s);
        line(Json.of(m));
    }
}
