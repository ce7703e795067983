import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The evsm-lab conformance program: our own code calling the vendor SDK's public API
 * (hsmGeneralFinance) against a device, checking every result by its properties. See
 * docs/conformance.md.
 *
 *   java -cp <sdk jars>:<classes> SdkConformance --config FILE|{…} [--groups a,b] [--fixture FILE]
 *        [--sync] [--ha-seconds S] [--ha-threads T] [--perf-calls N]
 *
 * Groups: basics hash keys data mac pin cvv sm2 (the default: all of them), ha, perf.
 * Exit code 0 when every check passed (skipped checks count as passed), 1 otherwise, 2 on usage.
 */
public final class SdkConformance {
    private SdkConformance() {}

    static final List<String> DEFAULT_GROUPS = List.of("basics", "hash", "keys", "data", "mac", "pin", "cvv", "sm2");

    public static void main(String[] argv) {
        Map<String, String> opts = new LinkedHashMap<>();
        boolean sync = false;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--sync")) {
                sync = true;
            } else if (Arrays.asList("--config", "--groups", "--fixture", "--ha-seconds", "--ha-threads", "--perf-calls").contains(a) && i + 1 < argv.length) {
                opts.put(a, argv[++i]);
            } else {
                usage("unknown or incomplete option " + a);
            }
        }
        String config = opts.get("--config");
        if (config == null) usage("--config is required (a cacipher.ini path or its {…} string form)");
        List<String> groups = opts.containsKey("--groups") ? Arrays.asList(opts.get("--groups").split(",")) : DEFAULT_GROUPS;
        for (String g : groups) {
            if (!DEFAULT_GROUPS.contains(g) && !g.equals("ha") && !g.equals("perf")) usage("unknown group " + g);
        }
        Properties fixture = new Properties();
        if (opts.containsKey("--fixture")) {
            try (InputStreamReader r = new InputStreamReader(new FileInputStream(opts.get("--fixture")), StandardCharsets.UTF_8)) {
                fixture.load(r);
            } catch (Exception e) {
                usage("cannot read the fixture file: " + e.getMessage());
            }
        }
        Harness h = new Harness(sync);
        long t0 = System.nanoTime();
        selfTest(h);
        Sdk sdk = null;
        try {
            sdk = Sdk.open(h, config);
        } catch (Exception e) {
            h.check("init.getInstance", () -> {
                throw e;
            });
        }
        if (sdk != null) {
            Ctx c = new Ctx(sdk, h, fixture, countHosts(config));
            for (String g : groups) {
                switch (g) {
                    case "basics": BasicChecks.basics(c); break;
                    case "hash": BasicChecks.hash(c); break;
                    case "keys": KeyChecks.run(c); break;
                    case "data": DataChecks.run(c); break;
                    case "mac": MacChecks.run(c); break;
                    case "pin": PinChecks.pin(c); break;
                    case "cvv": PinChecks.cvv(c); break;
                    case "sm2": Sm2Checks.run(c); break;
                    case "ha": HaChecks.stream(c, Double.parseDouble(opts.getOrDefault("--ha-seconds", "6")), Integer.parseInt(opts.getOrDefault("--ha-threads", "4"))); break;
                    case "perf": HaChecks.perf(c, Integer.parseInt(opts.getOrDefault("--perf-calls", "500"))); break;
                    default: throw new IllegalStateException(g);
                }
            }
        }
        h.summary((System.nanoTime() - t0) / 1_000_000);
        // The SDK keeps heartbeat threads alive: leave explicitly.
        System.exit(h.failed == 0 ? 0 : 1);
    }

    private static void usage(String why) {
        System.err.println("SdkConformance: " + why);
        System.err.println("usage: SdkConformance --config FILE|{...} [--groups basics,hash,keys,data,mac,pin,cvv,sm2,ha,perf] [--fixture FILE] [--sync] [--ha-seconds S] [--ha-threads T] [--perf-calls N]");
        System.exit(2);
    }

    /** Hosts the SDK will use: [HOST1], [HOST2], … up to the first gap (as the SDK reads them). */
    static int countHosts(String config) {
        String text = config;
        if (!config.trim().startsWith("{")) {
            try {
                text = Files.readString(Path.of(config), StandardCharsets.UTF_8);
            } catch (Exception e) {
                return 0;
            }
        }
        Matcher m = Pattern.compile("\\[\\s*HOST\\s*(\\d+)\\s*\\]", Pattern.CASE_INSENSITIVE).matcher(text);
        List<Integer> seen = new ArrayList<>();
        while (m.find()) seen.add(Integer.parseInt(m.group(1)));
        int n = 0;
        while (seen.contains(n + 1)) n++;
        return n;
    }

    /** Our reference implementations against their standard vectors, before trusting them. */
    private static void selfTest(Harness h) {
        h.check("reference.selftest", () -> {
            Harness.equal("681EDF34D206965E86B3E94F536E4246", Hex.of(new Sm4(Hex.bytes("0123456789ABCDEFFEDCBA9876543210")).encryptBlock(Hex.bytes("0123456789ABCDEFFEDCBA9876543210"))), "SM4 (GB/T 32907 vector)");
            Harness.equal(BasicChecks.SM3_ABC, Hex.of(Sm3.hash("abc".getBytes(StandardCharsets.US_ASCII))), "SM3 (GB/T 32905 vector)");
            Harness.equal("85E813540F0AB405", Hex.of(Ref.cipher('Z', Hex.bytes("133457799BBCDFF1")).enc(Hex.bytes("0123456789ABCDEF"))), "DES (FIPS 46 vector)");
            Harness.equal("561", Ref.cvv(Hex.bytes("0123456789ABCDEFFEDCBA9876543210"), "4123456789012345", "8701", "101"), "Visa CVV vector");
            Sm2.KeyPair kp = Sm2.generateFixed();
            byte[] msg = "message digest".getBytes(StandardCharsets.US_ASCII);
            byte[] uid = "1234567812345678".getBytes(StandardCharsets.US_ASCII);
            byte[] sig = Sm2.sign(uid, kp, msg);
            Harness.require(Sm2.verify(uid, kp.q, msg, sig), "SM2 sign/verify round trip");
            Harness.require(!Sm2.verify(uid, kp.q, "message digesT".getBytes(StandardCharsets.US_ASCII), sig), "SM2 verify rejects another message");
            Harness.equalBytes(msg, Sm2.decrypt(kp, Sm2.encrypt(kp.q, msg), false), "SM2 encrypt/decrypt round trip");
            return "SM4, SM3, DES, CVV vectors; SM2 round trips";
        });
    }
}
