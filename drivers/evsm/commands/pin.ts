/**
 * PIN and CVV commands (sjj1310-wire.md §1): CC translate ZPK→ZPK, TI translate ZPK/TPK, BA PIN under the LMK, JE/JG
 * between ZPK and LMK, JA random PIN, CW/CY CVV. Requests are the SDK's; answer layouts of BA,
 * JE and JA were never seen from a real device, so the SDK's rule applies: the rest, verbatim.
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command, statusCommand } from './command.ts';
import type { FieldReader } from './codec.ts';
import { dec, keyRef, type SdkKey } from './fields.ts';

function pinBlockOk(block: string | null | undefined, what: string): string {
  const b = block ?? '';
  if (b.length !== 16 && b.length !== 32) throw new EvsmParameterError(`Length of parameter ${what} <${b.length}> Invalid.`);
  return b;
}

/** CC translate: 12 or 18 characters of account are sent whole (the SDK refuses other lengths). */
function ccAccount(account: string | null | undefined): string {
  if (!account || (account.length !== 12 && account.length !== 18)) throw new EvsmParameterError('Value of parameter account Invalid.');
  return account;
}

/** Accounts of BA/JE/JG/JA: the 12 right-most PAN digits without the check digit. */
function account12(account: string | null | undefined): string {
  if (!account || account.length !== 12) throw new EvsmParameterError(`account length <${account?.length ?? 0}> is invalid`);
  return account;
}

/**
 * CC: PIN block from `src` ZPK to `dst` ZPK. Request: src + dst + `12` (max PIN length) + block
 * (16H or 32H) + srcFmt(2n) + dstFmt(2n) + account. Answer: PIN length(2n) + block + format(2n),
 * 20 or 36 characters in all; the block is returned.
 */
export function ccTranslatePin(src: SdkKey, dst: SdkKey, pinBlock: string, srcFormat: number, dstFormat: number, account: string): WireCommand<{ pinLength: string; pinBlock: string; format: string }> {
  const fields = [keyRef(src, 'srcZPK'), keyRef(dst, 'dstZPK'), '12', pinBlockOk(pinBlock, 'srcPINBLOCKCipher'), dec(srcFormat, 2), dec(dstFormat, 2), ccAccount(account)];
  return command('CC', 'translate PIN', true, fields, (r) => {
    const rest = r.restText();
    if (rest.length !== 20 && rest.length !== 36) r.fail(`${rest.length} characters: PIN length + 16H or 32H PIN block + format expected`);
    return { pinLength: rest.slice(0, 2), pinBlock: rest.slice(2, -2), format: rest.slice(-2) };
  });
}

/** TI key kinds as the SDK's transferPin takes them: `"001"` ZPK → `1`, `"002"` TPK → `2`. */
function tiKind(type: string, what: string): string {
  if (type === '001') return '1';
  if (type === '002') return '2';
  throw new EvsmParameterError(`Value of parameter ${what} <${type}> Invalid.`);
}

/** A 16H or 32H PIN block as the whole answer (JG, TI). */
function blockAnswer(r: FieldReader): string {
  const block = r.restText();
  if (block.length !== 16 && block.length !== 32) r.fail(`PIN block of ${block.length} characters (16 or 32 expected)`);
  return block;
}

/**
 * TI (transferPin, 9 arguments): PIN block from a ZPK or TPK to a ZPK or TPK, each side with its
 * own account. Request: kind(1) + src + kind(1) + dst + `12` + block + srcFmt(2n) + srcAccount(12)
 * + dstFmt(2n) + dstAccount(12). Answer: the block alone, 16H or 32H (the SDK refuses a length or
 * a format around it; docs/host-protocol.md, TI).
 */
export function tiTranslatePin(srcType: string, src: SdkKey, dstType: string, dst: SdkKey, pinBlock: string, srcFormat: number, srcAccount: string, dstFormat: number, dstAccount: string): WireCommand<string> {
  const fields = [tiKind(srcType, 'srcKeyType'), keyRef(src, 'srcKey'), tiKind(dstType, 'dstKeyType'), keyRef(dst, 'dstKey'), '12', pinBlockOk(pinBlock, 'pinBlock'), dec(srcFormat, 2), account12(srcAccount), dec(dstFormat, 2), account12(dstAccount)];
  return command('TI', 'translate PIN', true, fields, blockAnswer);
}

function nonEmptyRest(r: FieldReader): string {
  const rest = r.restText();
  if (rest === '') r.fail('empty answer');
  return rest;
}

/** BA: a clear PIN under the LMK. Request: PIN + `F` + account(12). Answer: the rest (the PIN under the LMK). */
export function baEncryptPin(pin: string, account: string): WireCommand<string> {
  return command('BA', 'PIN under LMK', true, [pin, 'F', account12(account)], nonEmptyRest);
}

/** JE: a PIN block under a ZPK → under the LMK. Request: zpk + block + fmt(2n) + account(12). */
export function jeZpkToLmk(zpk: SdkKey, pinBlock: string, format: number, account: string): WireCommand<string> {
  return command('JE', 'PIN ZPK to LMK', true, [keyRef(zpk, 'zpk'), pinBlock, dec(format, 2), account12(account)], nonEmptyRest);
}

/** JG: a PIN under the LMK → a PIN block under a ZPK. Request: zpk + fmt(2n) + account(12) + PIN under LMK. Answer: exactly 16 or 32 characters. */
export function jgLmkToZpk(zpk: SdkKey, format: number, account: string, pinUnderLmk: string): WireCommand<string> {
  return command('JG', 'PIN LMK to ZPK', true, [keyRef(zpk, 'zpk'), dec(format, 2), account12(account), pinUnderLmk], blockAnswer);
}

/**
 * NG: a PIN under the LMK → the clear PIN. Request: account(12) + PIN under LMK. Answer: the rest,
 * verbatim (the device answers the PIN and an `F`; the vendor SDK's decPinByZpk returns both, as
 * recorded in test/data/sdk-transcripts/pin.json).
 */
export function ngLmkToClear(account: string, pinUnderLmk: string): WireCommand<string> {
  return command('NG', 'PIN under LMK to clear', true, [account12(account), pinUnderLmk], nonEmptyRest);
}

/** JA: a random PIN under the LMK. Request: account(12) + PIN length(2n). */
export function jaRandomPin(account: string, pinLength: number): WireCommand<string> {
  return command('JA', 'random PIN', true, [account12(account), dec(pinLength, 2)], nonEmptyRest);
}

/** CW/CY expiry (4 digits) and service code (3 digits), checked as the SDK checks them: by text length. */
function cvvTail(pan: string, expiry: number, serviceCode: number): string {
  if (String(expiry).length !== 4) throw new EvsmParameterError(`Length of parameter deadTime <${String(expiry).length}> Invalid.`);
  if (String(serviceCode).length !== 3) throw new EvsmParameterError(`Length of parameter serviceCode <${String(serviceCode).length}> Invalid.`);
  if (typeof pan !== 'string') throw new EvsmParameterError('Value of parameter pan Invalid.');
  return `${pan};${expiry}${serviceCode}`;
}

/** CW: CVV of a card. Request: CVK + PAN + `;` + expiry(4) + service code(3). Answer: exactly 3 characters. */
export function cwGenerateCvv(cvk: SdkKey, pan: string, expiry: number, serviceCode: number): WireCommand<string> {
  return command('CW', 'generate CVV', true, [keyRef(cvk, 'CVK'), cvvTail(pan, expiry, serviceCode)], (r) => {
    const cvv = r.text(3, 'CVV');
    r.end();
    return cvv;
  });
}

/** CY: verify a CVV (the CVV comes before the PAN). Exactly `CZ00` → true; anything else → false. */
export function cyVerifyCvv(cvk: SdkKey, cvv: string, pan: string, expiry: number, serviceCode: number): WireCommand<boolean> {
  if (typeof cvv !== 'string' || cvv.length !== 3) throw new EvsmParameterError('Length of parameter cvv Invalid.');
  return statusCommand('CY', 'verify CVV', true, [keyRef(cvk, 'CVK'), cvv, cvvTail(pan, expiry, serviceCode)], (s) => s.errorCode === '00' && s.body.length === 0);
}
