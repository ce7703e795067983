import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Live-only checks (never recorded): a stream of calls across several hosts while the caller
 * kills one of them (zero failed calls), and sequential throughput through the SDK.
 */
final class HaChecks {
    private HaChecks() {}

    /**
     * ha.stream: `threads` threads call for `seconds`: genRandom(8), an S3 and an S0 MAC with
     * known keys (each compared with the reference). Prints "@@HA {"calls":N,"failed":F}" every
     * 200 ms so the caller can kill a host mid-stream.
     */
    private static final String MAC_DATA = "000102030405060708090A0B0C0D0E0F1011121314151617";

    static void stream(Ctx c, double seconds, int threads) {
        c.h.check("ha.stream", () -> {
            if (c.hosts < 2) throw new Harness.Skipped("needs a config with two or more hosts, this one has " + c.hosts);
            c.needZmk();
            byte[] key = Ctx.clearKey('X');
            String lmk = c.known("00A", 'X', key);
            byte[] data = Ctx.data(16, 9);
            byte[] expected = Ref.ecb(Ref.cipher('X', key), data, true);
            String zak = c.known("008", 'X', key);
            String expectedMac = MacChecks.refMac(1, 'X', key, 1, MAC_DATA, "0000000000000000", 8);
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicReference<String> firstFailure = new AtomicReference<>();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            Thread[] workers = new Thread[threads];
            long[] worst = new long[threads];
            for (int t = 0; t < threads; t++) {
                final int id = t;
                workers[t] = new Thread(() -> {
                    int i = 0;
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        try {
                            switch (i++ % 3) {
                                case 0:
                                    if (!c.sdk.api.genRandom(8).matches("[0-9A-F]{16}")) throw new IllegalStateException("genRandom(8) malformed");
                                    break;
                                case 1:
                                    if (!Arrays.equals(expected, c.sdk.api.generalDataEnc(0, "00A", lmk, null, 0, null, 5, data, null))) throw new IllegalStateException("S3 result differs from the reference");
                                    break;
                                default:
                                    if (!expectedMac.equals(c.sdk.api.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, MAC_DATA, "0000000000000000"))) throw new IllegalStateException("S0 MAC differs from the reference");
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, e.getClass().getSimpleName() + ": " + e.getMessage());
                        }
                        worst[id] = Math.max(worst[id], System.nanoTime() - t0);
                        calls.incrementAndGet();
                    }
                }, "ha-" + t);
                workers[t].start();
            }
            long t0 = System.nanoTime();
            while (Arrays.stream(workers).anyMatch(Thread::isAlive)) {
                c.h.line("@@HA {\"calls\":" + calls.get() + ",\"failed\":" + failed.get() + "}");
                for (Thread w : workers) w.join(200);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long worstMs = Arrays.stream(worst).max().orElse(0) / 1_000_000;
            String numbers = calls.get() + " calls in " + String.format("%.1f", secs) + " s on " + threads + " threads (" + Math.round(calls.get() / secs) + "/s), slowest " + worstMs + " ms";
            Harness.require(failed.get() == 0, failed.get() + " failed calls of " + numbers + "; first: " + firstFailure.get());
            Harness.require(calls.get() > 0, "no calls made");
            return "0 failed; " + numbers;
        });
    }

    /** perf: sequential calls/s through the SDK, one thread (S3 of 16 bytes, genRandom(8), KG). */
    static void perf(Ctx c, int n) {
        c.h.check("perf.sequential", () -> {
            c.needZmk();
            String lmk = c.known("00A", 'X', Ctx.clearKey('X'));
            byte[] data = Ctx.data(16, 10);
            StringBuilder sb = new StringBuilder();
            String[] names = {"S3 16 bytes", "genRandom(8)", "S0 MAC 24 bytes", "3C SM3"};
            String zak = c.known("008", 'X', Ctx.clearKey('X'));
            for (int kind = 0; kind < names.length; kind++) {
                long t0 = System.nanoTime();
                if (sb.length() > 0) sb.append("; ");
                try {
                    for (int i = 0; i < n; i++) {
                        switch (kind) {
                            case 0: c.sdk.api.generalDataEnc(0, "00A", lmk, null, 0, null, 5, data, null); break;
                            case 1: c.sdk.api.genRandom(8); break;
                            case 2: c.sdk.api.generalCalMAC(1, 8, "008", zak, "", 0, "", 1, MAC_DATA, "0000000000000000"); break;
                            default: c.sdk.api.generateHASH(20, "abc".getBytes(), new byte[0], new byte[0]);
                        }
                    }
                } catch (cn.tass.exceptions.TAException e) {
                    // Throughput is reported, not judged: a call the device refuses is named, not failed.
                    sb.append(names[kind]).append(" n/a (error ").append(Harness.deviceCode(e)).append(')');
                    continue;
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                sb.append(names[kind]).append(' ').append(Math.round(n / secs)).append("/s");
            }
            return n + " calls each: " + sb;
        });
    }
}
