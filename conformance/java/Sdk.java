import cn.tass.hsmApi.hsmGeneralFinance.hsmGeneralFinance;
import java.util.ArrayList;

/**
 * Every vendor SDK method the conformance checks use, each a one-line pass-through of its public
 * signature (javap) through Harness.call, so each call is announced to the recorder with its
 * name and arguments. Nothing here knows the wire: the SDK does that.
 */
final class Sdk {
    private final Harness h;
    final hsmGeneralFinance api;

    private Sdk(Harness h, hsmGeneralFinance api) {
        this.h = h;
        this.api = api;
    }

    static Sdk open(Harness h, String config) throws Exception {
        hsmGeneralFinance api = h.call("getInstance", new Object[] {config}, () -> hsmGeneralFinance.getInstance(config));
        return new Sdk(h, api);
    }

    private static Object[] a(Object... args) {
        return args;
    }

    String[] getDeviceSerial() throws Exception {
        return h.call("getDeviceSerial", a(), api::getDeviceSerial);
    }

    String genRandom(int n) throws Exception {
        return h.call("genRandom", a(n), () -> api.genRandom(n));
    }

    String[] genWorkKey(String type, char flag, int index, String label) throws Exception {
        return h.call("genWorkKey", a(type, flag, index, label), () -> api.genWorkKey(type, flag, index, label));
    }

    String[] genWorkKeyEnc(String type, char flag, Object zmk, int index, String label) throws Exception {
        return h.call("genWorkKeyEnc", a(type, flag, zmk, index, label), () -> api.genWorkKeyEnc(type, flag, zmk, index, label));
    }

    String[] genWorkKeyEnc(String type, char flag, Object zmk, char zmkFlag, int index, String label) throws Exception {
        return h.call("genWorkKeyEnc", a(type, flag, zmk, zmkFlag, index, label), () -> api.genWorkKeyEnc(type, flag, zmk, zmkFlag, index, label));
    }

    hsmGeneralFinance.SymmKeyAttribute getKeyInfo(int index) throws Exception {
        return h.call("getKeyInfo", a(index), () -> api.getKeyInfo(index));
    }

    String[] deleteKey(int kind, int index) throws Exception {
        return h.call("deleteKey", a(kind, index), () -> api.deleteKey(kind, index));
    }

    String[] importWorkKey(String type, Object zmk, String underZmk, char flag, int index, String label) throws Exception {
        return h.call("importWorkKey", a(type, zmk, underZmk, flag, index, label), () -> api.importWorkKey(type, zmk, underZmk, flag, index, label));
    }

    String[] exportWorkKey(String type, Object zmk, Object key, char flag) throws Exception {
        return h.call("exportWorkKey", a(type, zmk, key, flag), () -> api.exportWorkKey(type, zmk, key, flag));
    }

    byte[] generalDataEnc(int mode, String type, Object key, String disper, int sess, String sessFactor, int pad, byte[] data, String iv) throws Exception {
        return h.call("generalDataEnc", a(mode, type, key, disper, sess, sessFactor, pad, data, iv), () -> api.generalDataEnc(mode, type, key, disper, sess, sessFactor, pad, data, iv));
    }

    byte[] generalDataDec(int mode, String type, Object key, String disper, int sess, String sessFactor, int pad, byte[] data, String iv) throws Exception {
        return h.call("generalDataDec", a(mode, type, key, disper, sess, sessFactor, pad, data, iv), () -> api.generalDataDec(mode, type, key, disper, sess, sessFactor, pad, data, iv));
    }

    String dataEnc(int mode, String type, Object key, String disper, int sess, String sessFactor, int pad, String hex, String iv) throws Exception {
        return h.call("dataEnc", a(mode, type, key, disper, sess, sessFactor, pad, hex, iv), () -> api.dataEnc(mode, type, key, disper, sess, sessFactor, pad, hex, iv));
    }

    String dataDec(int mode, String type, Object key, String disper, int sess, String sessFactor, int pad, String hex, String iv) throws Exception {
        return h.call("dataDec", a(mode, type, key, disper, sess, sessFactor, pad, hex, iv), () -> api.dataDec(mode, type, key, disper, sess, sessFactor, pad, hex, iv));
    }

    byte[] bigDatageneralEnc(int mode, Object key, int pad, String iv, byte[] data) throws Exception {
        return h.call("bigDatageneralEnc", a(mode, key, pad, iv, data), () -> api.bigDatageneralEnc(mode, key, pad, iv, data));
    }

    byte[] bigDatageneralDnc(int mode, Object key, int pad, String iv, byte[] data) throws Exception {
        return h.call("bigDatageneralDnc", a(mode, key, pad, iv, data), () -> api.bigDatageneralDnc(mode, key, pad, iv, data));
    }

    ArrayList<byte[]> blocksEncrypt(String type, Object key, String disper, int sess, String sessFactor, ArrayList<byte[]> blocks, int flag) throws Exception {
        return h.call("blocksEncrypt", a(type, key, disper, sess, sessFactor, blocks, flag), () -> api.blocksEncrypt(type, key, disper, sess, sessFactor, blocks, flag));
    }

    ArrayList<byte[]> blocksDecrypt(String type, Object key, String disper, int sess, String sessFactor, ArrayList<byte[]> blocks, int flag) throws Exception {
        return h.call("blocksDecrypt", a(type, key, disper, sess, sessFactor, blocks, flag), () -> api.blocksDecrypt(type, key, disper, sess, sessFactor, blocks, flag));
    }

    String generalCalMAC(int alg, int valueType, String type, Object key, String disper, int sess, String sessFactor, int pad, String hex, String iv) throws Exception {
        return h.call("generalCalMAC", a(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv), () -> api.generalCalMAC(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv));
    }

    byte[] generalCalMAC(int alg, int valueType, String type, Object key, String disper, int sess, String sessFactor, int pad, byte[] data, String iv) throws Exception {
        return h.call("generalCalMAC", a(alg, valueType, type, key, disper, sess, sessFactor, pad, data, iv), () -> api.generalCalMAC(alg, valueType, type, key, disper, sess, sessFactor, pad, data, iv));
    }

    boolean generalVerifyMAC(int alg, int valueType, String type, Object key, String disper, int sess, String sessFactor, int pad, String hex, String iv, String mac) throws Exception {
        return h.call("generalVerifyMAC", a(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv, mac), () -> api.generalVerifyMAC(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv, mac));
    }

    String calMAC(int alg, int valueType, String type, Object key, String disper, int sess, String sessFactor, int pad, String hex, String iv) throws Exception {
        return h.call("calMAC", a(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv), () -> api.calMAC(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv));
    }

    boolean verifyMAC(int alg, int valueType, String type, Object key, String disper, int sess, String sessFactor, int pad, String hex, String iv, String mac) throws Exception {
        return h.call("verifyMAC", a(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv, mac), () -> api.verifyMAC(alg, valueType, type, key, disper, sess, sessFactor, pad, hex, iv, mac));
    }

    String generalCalMAC(Object key, String hex) throws Exception {
        return h.call("generalCalMAC", a(key, hex), () -> api.generalCalMAC(key, hex));
    }

    String generalCalMAC(Object key, byte[] data) throws Exception {
        return h.call("generalCalMAC", a(key, data), () -> api.generalCalMAC(key, data));
    }

    String transferPinZPK12ZPK2(Object src, Object dst, String pinBlock, int srcFmt, int dstFmt, String account) throws Exception {
        return h.call("transferPinZPK12ZPK2", a(src, dst, pinBlock, srcFmt, dstFmt, account), () -> api.transferPinZPK12ZPK2(src, dst, pinBlock, srcFmt, dstFmt, account));
    }

    String transferPin(String srcType, Object src, String dstType, Object dst, String pinBlock, int srcFmt, String srcAccount, int dstFmt, String dstAccount) throws Exception {
        return h.call("transferPin", a(srcType, src, dstType, dst, pinBlock, srcFmt, srcAccount, dstFmt, dstAccount), () -> api.transferPin(srcType, src, dstType, dst, pinBlock, srcFmt, srcAccount, dstFmt, dstAccount));
    }

    String encPINByLmk(String pin, String account) throws Exception {
        return h.call("encPINByLmk", a(pin, account), () -> api.encPINByLmk(pin, account));
    }

    String encPinByZpk(Object zpk, int fmt, String account, String pin) throws Exception {
        return h.call("encPinByZpk", a(zpk, fmt, account, pin), () -> api.encPinByZpk(zpk, fmt, account, pin));
    }

    String decPinByZpk(Object zpk, String pinBlock, int fmt, String account) throws Exception {
        return h.call("decPinByZpk", a(zpk, pinBlock, fmt, account), () -> api.decPinByZpk(zpk, pinBlock, fmt, account));
    }

    String transferPinLMK2ZPK(Object zpk, int fmt, String account, String pinLmk) throws Exception {
        return h.call("transferPinLMK2ZPK", a(zpk, fmt, account, pinLmk), () -> api.transferPinLMK2ZPK(zpk, fmt, account, pinLmk));
    }

    String transferPinZPK2LMK(Object zpk, String pinBlock, int fmt, String account) throws Exception {
        return h.call("transferPinZPK2LMK", a(zpk, pinBlock, fmt, account), () -> api.transferPinZPK2LMK(zpk, pinBlock, fmt, account));
    }

    String genRandPIN(String account, int length) throws Exception {
        return h.call("genRandPIN", a(account, length), () -> api.genRandPIN(account, length));
    }

    String genCVV(Object cvk, String pan, int expiry, int service) throws Exception {
        return h.call("genCVV", a(cvk, pan, expiry, service), () -> api.genCVV(cvk, pan, expiry, service));
    }

    boolean verifyCVV(Object cvk, String cvv, String pan, int expiry, int service) throws Exception {
        return h.call("verifyCVV", a(cvk, cvv, pan, expiry, service), () -> api.verifyCVV(cvk, cvv, pan, expiry, service));
    }

    ArrayList<byte[]> generateSm2KeyPair(int index, String label) throws Exception {
        return h.call("generateSm2KeyPair", a(index, label), () -> api.generateSm2KeyPair(index, label));
    }

    byte[] getSM2PublicKey(int index) throws Exception {
        return h.call("getSM2PublicKey", a(index), () -> api.getSM2PublicKey(index));
    }

    byte[] SM2PublicKeyEnc(byte[] data, int index) throws Exception {
        return h.call("SM2PublicKeyEnc", a(data, index), () -> api.SM2PublicKeyEnc(data, index));
    }

    byte[] SM2PublicKeyEnc(byte[] data, byte[] pub) throws Exception {
        return h.call("SM2PublicKeyEnc", a(data, pub), () -> api.SM2PublicKeyEnc(data, pub));
    }

    byte[] SM2PrivateKeyDec(byte[] cipher, int index) throws Exception {
        return h.call("SM2PrivateKeyDec", a(cipher, index), () -> api.SM2PrivateKeyDec(cipher, index));
    }

    byte[] SM2PrivateKeyDec(byte[] cipher, byte[] priv) throws Exception {
        return h.call("SM2PrivateKeyDec", a(cipher, priv), () -> api.SM2PrivateKeyDec(cipher, priv));
    }

    byte[] genSM2Signature(byte[] uid, int format, byte[] data, int index) throws Exception {
        return h.call("genSM2Signature", a(uid, format, data, index), () -> api.genSM2Signature(uid, format, data, index));
    }

    byte[] genSM2Signature(byte[] uid, int format, byte[] data, byte[] pub, byte[] priv) throws Exception {
        return h.call("genSM2Signature", a(uid, format, data, pub, priv), () -> api.genSM2Signature(uid, format, data, pub, priv));
    }

    boolean verifySM2Signature(byte[] uid, int format, byte[] data, int index, byte[] sig) throws Exception {
        return h.call("verifySM2Signature", a(uid, format, data, index, sig), () -> api.verifySM2Signature(uid, format, data, index, sig));
    }

    boolean verifySM2Signature(byte[] uid, int format, byte[] data, byte[] sig, byte[] pub) throws Exception {
        return h.call("verifySM2Signature", a(uid, format, data, sig, pub), () -> api.verifySM2Signature(uid, format, data, sig, pub));
    }

    byte[] generateHASH(byte[] data) throws Exception {
        return h.call("generateHASH", a(data), () -> api.generateHASH(data));
    }

    byte[] generateHASH(byte[] data, byte[] pub) throws Exception {
        return h.call("generateHASH", a(data, pub), () -> api.generateHASH(data, pub));
    }

    byte[] generateHASH(byte[] data, int alg, byte[] uid, byte[] pub) throws Exception {
        return h.call("generateHASH", a(data, alg, uid, pub), () -> api.generateHASH(data, alg, uid, pub));
    }

    byte[] generateHASH(int alg, byte[] data, byte[] uid, byte[] pub) throws Exception {
        return h.call("generateHASH", a(alg, data, uid, pub), () -> api.generateHASH(alg, data, uid, pub));
    }
}
