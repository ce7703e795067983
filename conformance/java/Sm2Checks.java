import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/**
 * SM2 key pairs, encryption and signatures (E7, E2, E3/E4, E5/E6), cross-checked with our own
 * SM2 (Sm2.java): device signatures verified here, our signatures verified by the device, our
 * key pair decrypting what the device encrypted. SM2 indices 60-69.
 */
final class Sm2Checks {
    private Sm2Checks() {}

    private static final byte[] UID = "1234567812345678".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MSG = "message digest".getBytes(StandardCharsets.US_ASCII);

    static void run(Ctx c) {
        final AtomicReference<ArrayList<byte[]>> stored = new AtomicReference<>();
        final AtomicReference<ArrayList<byte[]>> loose = new AtomicReference<>();
        c.h.check("sm2.generate", () -> {
            stored.set(c.sdk.generateSm2KeyPair(60, "sm2"));
            loose.set(c.sdk.generateSm2KeyPair(0, ""));
            for (ArrayList<byte[]> kp : Arrays.asList(stored.get(), loose.get())) {
                Harness.require(kp != null && kp.size() == 2, "[public key, private key cipher] expected");
                Sm2.parsePublic(kp.get(0));
                Harness.require(kp.get(0).length == 91, "public key in DER (91 bytes) expected, got " + kp.get(0).length);
                Harness.require(kp.get(1).length > 0, "private key cipher is empty");
            }
            Harness.require(!Arrays.equals(stored.get().get(0), loose.get().get(0)), "two key pairs with the same public key");
            return "E7 with and without index; public keys on the curve";
        });
        c.h.check("sm2.getSM2PublicKey", () -> {
            needPairs(stored, loose);
            byte[] pub = c.sdk.getSM2PublicKey(60);
            Harness.equalBytes(stored.get().get(0), pub, "E2 K0060");
            return "same public key as E7 returned";
        });
        c.h.check("sm2.encrypt-decrypt", () -> {
            needPairs(stored, loose);
            byte[] byIndex = c.sdk.SM2PublicKeyEnc(MSG, 60);
            Harness.require(byIndex.length == 97 + MSG.length, "C1||C3||C2 of " + (97 + MSG.length) + " bytes expected, got " + byIndex.length);
            Harness.equalBytes(MSG, c.sdk.SM2PrivateKeyDec(byIndex, 60), "decrypt with K0060");
            byte[] byKey = c.sdk.SM2PublicKeyEnc(MSG, loose.get().get(0));
            Harness.equalBytes(MSG, c.sdk.SM2PrivateKeyDec(byKey, loose.get().get(1)), "decrypt with the private key cipher");
            Harness.equalBytes(MSG, c.sdk.SM2PrivateKeyDec(c.sdk.SM2PublicKeyEnc(MSG, stored.get().get(0)), 60), "encrypt to K0060's public key bytes, decrypt by index");
            return "index and key-bytes forms";
        });
        c.h.check("sm2.encrypt-to-our-key", () -> {
            Sm2.KeyPair ours = Sm2.generateFixed();
            byte[] ct = c.sdk.SM2PublicKeyEnc(MSG, Sm2.der(ours.q));
            byte[] m = Sm2.decrypt(ours, ct, false);
            if (m == null && Sm2.decrypt(ours, ct, true) != null) throw new Harness.CheckFailed("the device's ciphertext is C1||C2||C3 (GM/T 0003-2012 wants C1||C3||C2)");
            Harness.equalBytes(MSG, m, "our SM2 decryption (C1||C3||C2) of the device's ciphertext");
            Sm2.KeyPair other = Sm2.generate();
            Harness.require(Sm2.decrypt(other, ct, false) == null, "another key must not decrypt it");
            return "C1||C3||C2, decrypted here";
        });
        c.h.check("sm2.sign-verify", () -> {
            needPairs(stored, loose);
            StringBuilder formats = new StringBuilder();
            for (int format : new int[] {0, 1}) {
                byte[] sig = c.sdk.genSM2Signature(UID, format, MSG, 60);
                Harness.require(Sm2.verify(UID, Sm2.parsePublic(stored.get().get(0)), MSG, sig), "format " + format + ": the device's signature does not verify here (" + Hex.of(sig) + ")");
                formats.append(format).append('=').append(sig.length == 64 ? "r||s" : "DER").append(' ');
                Harness.require(c.sdk.verifySM2Signature(UID, format, MSG, 60, sig), "format " + format + ": E6 by index");
                byte[] sig2 = c.sdk.genSM2Signature(UID, format, MSG, loose.get().get(0), loose.get().get(1));
                Harness.require(Sm2.verify(UID, Sm2.parsePublic(loose.get().get(0)), MSG, sig2), "format " + format + ": signature with key bytes does not verify here");
                Harness.require(c.sdk.verifySM2Signature(UID, format, MSG, sig2, loose.get().get(0)), "format " + format + ": E6 with public key bytes");
            }
            return "formats " + formats.toString().trim();
        });
        c.h.check("sm2.verify-altered", () -> {
            needPairs(stored, loose);
            byte[] sig = c.sdk.genSM2Signature(UID, 0, MSG, 60);
            byte[] altered = MSG.clone();
            altered[0] ^= 1;
            // E6 answers an error code on a bad signature; the SDK throws (it never returns false).
            int code = Harness.expectThrow(() -> c.sdk.verifySM2Signature(UID, 0, altered, 60, sig), "altered message");
            Harness.equal(1, code, "verification failure code");
            return "altered message refused with 01";
        });
        c.h.check("sm2.verify-our-signature", () -> {
            Sm2.KeyPair ours = Sm2.generateFixed();
            byte[] sig = Sm2.sign(UID, ours, MSG);
            Harness.require(c.sdk.verifySM2Signature(UID, 0, MSG, sig, Sm2.der(ours.q)), "the device must accept our r||s signature");
            return "our signature accepted";
        });
    }

    private static void needPairs(AtomicReference<ArrayList<byte[]>> a, AtomicReference<ArrayList<byte[]>> b) {
        if (a.get() == null || b.get() == null) throw new Harness.CheckFailed("no key pairs (sm2.generate failed)");
    }
}
