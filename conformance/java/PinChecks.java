/** PINs under ZPKs and the LMK (CC, BA, JG, JE, JA) and CVV (CW/CY). Indices 40-59. */
final class PinChecks {
    private PinChecks() {}

    private static final String PIN = "123456";
    private static final String ACCOUNT = "123456789012";

    static String pinBlock(byte[] zpk) {
        return Hex.of(Ref.ecb(Ref.cipher('X', zpk), Ref.pinBlockIso0(PIN, ACCOUNT), true));
    }

    /** The 16-byte format-0 block (PIN field to 32 nibbles, PAN field 20 zeros + account) under an SM4 key. */
    static String pinBlock16(byte[] sm4) {
        return Hex.of(Ref.ecb(Ref.cipher('P', sm4), Ref.pinBlockIso0(PIN, ACCOUNT, 16), true));
    }

    static void pin(Ctx c) {
        c.h.check("pin.CC-translate", () -> {
            c.needZmk();
            byte[] k1 = Ctx.clearKey('X'), k2 = Ctx.otherKey('X');
            String zpk1 = c.importKnown("001", 'X', k1, 40, "zpk1");
            String zpk2 = c.known("001", 'X', k2);
            String out = c.sdk.transferPinZPK12ZPK2(zpk1, zpk2, pinBlock(k1), 1, 1, ACCOUNT);
            Harness.equal(pinBlock(k2), out, "PIN block under ZPK2 (ISO 9564-1 format 0)");
            Harness.equal(pinBlock(k1), c.sdk.transferPinZPK12ZPK2(zpk2, 40, out, 1, 1, ACCOUNT), "round trip back to ZPK1 at K0040");
            return "ZPK1 → ZPK2 → ZPK1";
        });
        c.h.check("pin.CC-SM4", () -> {
            // SM4 ZPKs (flag P): the 16-byte format-0 block (docs/host-protocol.md 2.9), to and from DES.
            c.needZmk();
            byte[] p1 = Ctx.clearKey('P'), p2 = Ctx.otherKey('P'), x1 = Ctx.clearKey('X');
            String zpkP1 = c.known("001", 'P', p1);
            String zpkP2 = c.known("001", 'P', p2);
            String zpkX1 = c.known("001", 'X', x1);
            String pp = c.sdk.transferPinZPK12ZPK2(zpkP1, zpkP2, pinBlock16(p1), 1, 1, ACCOUNT);
            Harness.equal(pinBlock16(p2), pp, "SM4 → SM4: the 16-byte block under ZPK2 (32H)");
            String xp = c.sdk.transferPinZPK12ZPK2(zpkX1, zpkP1, pinBlock(x1), 1, 1, ACCOUNT);
            Harness.equal(pinBlock16(p1), xp, "3DES → SM4: 16H in, 32H out");
            String px = c.sdk.transferPinZPK12ZPK2(zpkP1, zpkX1, pinBlock16(p1), 1, 1, ACCOUNT);
            Harness.equal(pinBlock(x1), px, "SM4 → 3DES: 32H in, 16H out");
            Harness.equal(pinBlock16(p1), c.sdk.transferPinLMK2ZPK(zpkP1, 1, ACCOUNT, c.sdk.transferPinZPK2LMK(zpkP1, pinBlock16(p1), 1, ACCOUNT)), "JE/JG with an SM4 ZPK");
            return "SM4→SM4, 3DES→SM4, SM4→3DES, JE/JG";
        });
        c.h.check("pin.TI-transferPin", () -> {
            // transferPin(srcType, srcKey, dstType, dstKey, pinBlock, srcFmt, srcAccount, dstFmt, dstAccount): TI.
            c.needZmk();
            byte[] k1 = Ctx.clearKey('X'), k2 = Ctx.otherKey('X'), p1 = Ctx.clearKey('P');
            String zpk1 = c.known("001", 'X', k1);
            String tpk2 = c.known("002", 'X', k2);
            String zpkP1 = c.known("001", 'P', p1);
            String other = "987654321098";
            String out = c.sdk.transferPin("001", zpk1, "002", tpk2, pinBlock(k1), 1, ACCOUNT, 1, other);
            Harness.equal(Hex.of(Ref.ecb(Ref.cipher('X', k2), Ref.pinBlockIso0(PIN, other), true)), out, "ZPK → TPK, another account");
            String back = c.sdk.transferPin("002", tpk2, "001", zpkP1, out, 1, other, 1, ACCOUNT);
            Harness.equal(pinBlock16(p1), back, "TPK → SM4 ZPK, back to the first account");
            return "ZPK → TPK → SM4 ZPK";
        });
        c.h.check("pin.CC-bad-pin-block", () -> {
            c.needZmk();
            byte[] k1 = Ctx.clearKey('X');
            String zpk1 = c.known("001", 'X', k1);
            // A block whose PIN field says length 15: invalid under format 0.
            byte[] field = Hex.bytes("0F12345678901234");
            String bad = Hex.of(Ref.ecb(Ref.cipher('X', k1), Ref.xor(field, Hex.bytes("0000" + ACCOUNT)), true));
            int code = Harness.expectThrow(() -> c.sdk.transferPinZPK12ZPK2(zpk1, zpk1, bad, 1, 1, ACCOUNT), "invalid PIN block");
            Harness.require(code == 20 || code == 24, "PIN block invalid (20) or PIN length (24) expected, got " + code);
            return "refused with " + code;
        });
        c.h.check("pin.LMK-ZPK", () -> {
            c.needZmk();
            byte[] k1 = Ctx.clearKey('X');
            String zpk1 = c.known("001", 'X', k1);
            String underLmk = c.sdk.encPINByLmk(PIN, ACCOUNT);
            Harness.require(underLmk != null && !underLmk.isEmpty() && !underLmk.contains(PIN), "a PIN under the LMK expected, got " + underLmk);
            Harness.equal(pinBlock(k1), c.sdk.transferPinLMK2ZPK(zpk1, 1, ACCOUNT, underLmk), "LMK → ZPK (JG)");
            String back = c.sdk.transferPinZPK2LMK(zpk1, pinBlock(k1), 1, ACCOUNT);
            Harness.equal(pinBlock(k1), c.sdk.transferPinLMK2ZPK(zpk1, 1, ACCOUNT, back), "ZPK → LMK (JE) → ZPK");
            Harness.equal(pinBlock(k1), c.sdk.encPinByZpk(zpk1, 1, ACCOUNT, PIN), "encPinByZpk (BA + JG)");
            return "BA, JG, JE round trips";
        });
        c.h.check("pin.decPinByZpk", () -> {
            c.needZmk();
            byte[] k1 = Ctx.clearKey('X');
            String zpk1 = c.known("001", 'X', k1);
            String r = c.sdk.decPinByZpk(zpk1, pinBlock(k1), 1, ACCOUNT);
            Harness.require(PIN.equals(r) || r != null && r.startsWith(PIN), "clear PIN 123456 expected, got " + r);
            return "JE (+ NG)";
        });
        c.h.check("pin.genRandPIN", () -> {
            c.needZmk();
            byte[] k1 = Ctx.clearKey('X');
            String zpk1 = c.known("001", 'X', k1);
            String underLmk = c.sdk.genRandPIN(ACCOUNT, 6);
            String block = c.sdk.transferPinLMK2ZPK(zpk1, 1, ACCOUNT, underLmk);
            byte[] clear = Ref.xor(Ref.ecb(Ref.cipher('X', k1), Hex.bytes(block), false), Hex.bytes("0000" + ACCOUNT));
            String f = Hex.of(clear);
            Harness.require(f.matches("06\\d{6}F{8}"), "a 6-digit PIN in format 0 expected, got PIN field " + f.replaceAll("\\d", "n"));
            return "6-digit random PIN";
        });
    }

    static void cvv(Ctx c) {
        // The standard Visa CVV test vector: CVK 0123456789ABCDEF/FEDCBA9876543210, 4123456789012345, 8701, 101 → 561.
        c.h.check("cvv.genCVV-vector", () -> {
            c.needZmk();
            byte[] cvk = Ctx.clearKey('X');
            String lmk = c.importKnown("402", 'X', cvk, 50, "cvk");
            String cvv = c.sdk.genCVV(lmk, "4123456789012345", 8701, 101);
            Harness.equal(Ref.cvv(cvk, "4123456789012345", "8701", "101"), cvv, "reference CVV");
            Harness.equal("561", cvv, "Visa test vector");
            Harness.equal("561", c.sdk.genCVV(50, "4123456789012345", 8701, 101), "CVK by index K0050");
            return "561";
        });
        c.h.check("cvv.verifyCVV", () -> {
            c.needZmk();
            String lmk = c.known("402", 'X', Ctx.clearKey('X'));
            Harness.require(c.sdk.verifyCVV(lmk, "561", "4123456789012345", 8701, 101), "561 verifies");
            Harness.require(!c.sdk.verifyCVV(lmk, "562", "4123456789012345", 8701, 101), "562 must not verify");
            Harness.require(!c.sdk.verifyCVV(lmk, "561", "4123456789012346", 8701, 101), "another PAN must not verify");
            return "true, false, false";
        });
    }
}
