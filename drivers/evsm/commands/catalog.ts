/**
 * The typed host commands of docs/host-protocol.md §4–5, each as a WireCommand: fields in,
 * answer decoded, and whether it is safe to repeat on another host. Safe = the device keeps no
 * new state from it (reads, KCVs, MAC, encryption, key generation that only *returns* a key);
 * not safe = it changes the key store (X0 store at index, X6 delete).
 */
import type { WireCommand } from '../failover.ts';
import { encodeCommand, openAnswer, type FieldReader } from './codec.ts';
import {
  ERROR_MEANINGS,
  keyTypeCode,
  keyTypeName,
  type DataCipherOptions,
  type DataCipherResult,
  type DeviceStatus,
  type Diagnostics,
  type GeneratedKey,
  type KeyRef,
  type KeyType,
  type LmkScheme,
  type MacOptions,
  type PinTranslation,
  type StoredKeyInfo,
  type ZmkScheme,
} from './types.ts';

/** One command: encode the fields now, decode (strictly: no bytes left over) on answer. */
function command<T>(
  code: string,
  name: string,
  idempotent: boolean,
  fields: Array<string | Buffer>,
  decode: (r: FieldReader) => T,
): WireCommand<T> {
  return {
    code,
    name: `${code} ${name}`,
    idempotent,
    message: encodeCommand(code, ...fields),
    parse: (answer, host) => {
      const r = openAnswer(code, answer, host, ERROR_MEANINGS);
      const value = decode(r);
      r.end();
      return value;
    },
  };
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
const dec = (n: number, width: number): string => String(n).padStart(width, '0');

/** Hex digits after the tag of a key field under the LMK (§2.2). */
const LMK_FIELD_HEX: Record<string, number> = { U: 32, T: 48, P: 40 };
/** Hex digits after the tag of a key under a ZMK. */
const ZMK_FIELD_HEX: Record<string, number> = { U: 32, X: 32, P: 32, T: 48, Y: 48 };

function readKeyField(r: FieldReader, table: Record<string, number>, what: string): string {
  const tag = r.text(1, `${what} scheme`);
  const len = table[tag];
  if (len === undefined) throw new RangeError(`${what}: unexpected key scheme "${tag}" in the answer`);
  return tag + r.text(len, what);
}

function assertIndex(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 9999) throw new RangeError(`key index ${index} is not 1-9999`);
  return dec(index, 4);
}

// ---- §4 standard commands ------------------------------------------------------------------

export function echoCommand(data: string | Buffer): WireCommand<string> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return command('B2', 'echo', true, [hex4(bytes.length), bytes], (r) => r.restText());
}

export function diagnosticsCommand(): WireCommand<Diagnostics> {
  return command('NC', 'diagnostics', true, [], (r) => ({ lmkCheckValue: r.text(16, 'LMK check value'), firmware: r.text(9, 'firmware') }));
}

export function randomCommand(count: number): WireCommand<Buffer> {
  if (!Number.isInteger(count) || count < 1 || count > 256) throw new RangeError(`random byte count ${count} is not 1-256`);
  return command('N0', 'random', true, [dec(count, 3)], (r) => Buffer.from(r.text(count * 2, 'random bytes'), 'hex'));
}

export function statusCommand(): WireCommand<DeviceStatus> {
  return command('NO', 'status', true, ['00'], (r) => ({
    state: r.text(1, 'state') as DeviceStatus['state'],
    internalKeyCount: Number(r.text(4, 'internal key count')),
    firmware: r.text(9, 'firmware'),
    deviceId: r.text(16, 'device id'),
  }));
}

/** A0: a new random key, returned under the LMK (and under a ZMK in mode 1); nothing stored. */
export function generateKeyCommand(
  keyType: KeyType,
  scheme: LmkScheme,
  underZmk?: { zmk: KeyRef; scheme: ZmkScheme },
): WireCommand<GeneratedKey> {
  const fields = [underZmk ? '1' : '0', keyTypeCode(keyType), scheme];
  if (underZmk) fields.push(underZmk.zmk, underZmk.scheme);
  return command('A0', 'generate key', true, fields, (r) => {
    const keyUnderLmk = readKeyField(r, LMK_FIELD_HEX, 'key under LMK');
    const keyUnderZmk = underZmk ? readKeyField(r, ZMK_FIELD_HEX, 'key under ZMK') : undefined;
    const kcv = r.text(6, 'KCV');
    return keyUnderZmk ? { keyUnderLmk, keyUnderZmk, kcv } : { keyUnderLmk, kcv };
  });
}

/** BU: 16H check value of a key under the LMK or at an index. */
export function keyCheckValueCommand(keyType: KeyType, key: KeyRef): WireCommand<string> {
  return command('BU', 'key check value', true, [keyTypeCode(keyType), key], (r) => r.text(16, 'KCV'));
}

/** A6: a key received under a ZMK, returned under the LMK. Stateless on the device. */
export function importKeyCommand(keyType: KeyType, zmk: KeyRef, keyUnderZmk: string, lmkScheme: LmkScheme): WireCommand<GeneratedKey> {
  return command('A6', 'import key', true, [keyTypeCode(keyType), zmk, keyUnderZmk, lmkScheme], (r) => ({
    keyUnderLmk: readKeyField(r, LMK_FIELD_HEX, 'key under LMK'),
    kcv: r.text(6, 'KCV'),
  }));
}

/** A8: a key under the LMK (or at an index), returned under a ZMK for a partner. */
export function exportKeyCommand(keyType: KeyType, zmk: KeyRef, key: KeyRef, zmkScheme: ZmkScheme): WireCommand<{ keyUnderZmk: string; kcv: string }> {
  return command('A8', 'export key', true, [keyTypeCode(keyType), zmk, key, zmkScheme], (r) => ({
    keyUnderZmk: readKeyField(r, ZMK_FIELD_HEX, 'key under ZMK'),
    kcv: r.text(6, 'KCV'),
  }));
}

/** CC: PIN block from one ZPK to another, ISO format 0 both sides. */
export function translatePinCommand(args: {
  sourceZpk: KeyRef;
  destinationZpk: KeyRef;
  pinBlock: string;
  /** The 12 right-most PAN digits without the check digit. */
  account: string;
  maxPinLength?: number;
}): WireCommand<PinTranslation> {
  const max = args.maxPinLength ?? 12;
  if (!/^\d{12}$/.test(args.account)) throw new RangeError('account must be 12 digits (PAN without check digit, right-most 12)');
  const fields = [args.sourceZpk, args.destinationZpk, dec(max, 2), args.pinBlock, '01', '01', args.account];
  return command('CC', 'translate PIN', true, fields, (r) => {
    const pinLength = Number(r.text(2, 'PIN length'));
    const pinBlock = r.text(r.remaining - 2, 'PIN block');
    return { pinLength, pinBlock, format: r.text(2, 'format') };
  });
}

function macFields(key: KeyRef, data: Buffer, o: MacOptions): string[] {
  const size = o.size ?? 8;
  const hex = data.toString('hex').toUpperCase();
  // Hex input format: the message stays printable ASCII on the wire.
  return ['0', '1', size === 16 ? '1' : '0', String(o.algorithm ?? 1), String(o.padding ?? 1), '008', key, hex4(hex.length), hex];
}

/** M6: MAC over `data` with a ZAK; returns the MAC in hex (8 or 16 digits). */
export function generateMacCommand(key: KeyRef, data: Buffer, options: MacOptions = {}): WireCommand<string> {
  const size = options.size ?? 8;
  return command('M6', 'generate MAC', true, macFields(key, data, options), (r) => r.text(size, 'MAC'));
}

/** M8: true when `mac` matches, false on error 01; other errors throw. */
export function verifyMacCommand(key: KeyRef, data: Buffer, mac: string, options: MacOptions = {}): WireCommand<boolean> {
  const size = mac.length === 16 ? 16 : 8;
  const cmd = command('M8', 'verify MAC', true, [...macFields(key, data, { ...options, size }), mac], () => true);
  return {
    ...cmd,
    parse: (answer, host) => {
      // 01 is the device's "no match": an answer, not a failure.
      if (answer.subarray(0, 4).toString('latin1') === 'M901') return false;
      return cmd.parse(answer, host);
    },
  };
}

/** M0 (encrypt) / M2 (decrypt) with a ZEK; whole blocks, no padding added. */
export function dataCipherCommand(direction: 'encrypt' | 'decrypt', key: KeyRef, data: Buffer, options: DataCipherOptions = {}): WireCommand<DataCipherResult> {
  const code = direction === 'encrypt' ? 'M0' : 'M2';
  const cbc = (options.mode ?? 'ECB') === 'CBC';
  if (cbc && !options.iv) throw new RangeError('CBC needs an iv (16 bytes for SM4, 8 for 3DES)');
  const hex = data.toString('hex').toUpperCase();
  const fields = [cbc ? '01' : '00', '1', '1', '00A', key];
  if (cbc && options.iv) fields.push(options.iv.toString('hex').toUpperCase());
  fields.push(hex4(hex.length), hex);
  return command(code, `${direction} data`, true, fields, (r) => {
    // The answer's IV has the length of the one sent (the key's block size).
    const iv = cbc && options.iv ? Buffer.from(r.text(options.iv.length * 2, 'IV'), 'hex') : undefined;
    const len = parseInt(r.text(4, 'message length'), 16);
    const out = Buffer.from(r.text(len, 'message'), 'hex');
    return iv ? { data: out, iv } : { data: out };
  });
}

// ---- §5 extension commands (internal key store) --------------------------------------------

/** X0: generate a key and STORE it at an index. Changes the device: never repeated blindly. */
export function storeKeyCommand(index: number, keyType: KeyType, scheme: LmkScheme, overwrite: boolean): WireCommand<string> {
  return command('X0', 'generate key at index', false, [assertIndex(index), keyTypeCode(keyType), scheme, overwrite ? '1' : '0'], (r) =>
    r.text(16, 'KCV'),
  );
}

/** X2: what is stored at an index. */
export function keyInfoCommand(index: number): WireCommand<StoredKeyInfo> {
  return command('X2', 'key check value at index', true, [assertIndex(index)], (r) => ({
    index,
    keyType: keyTypeName(r.text(3, 'key type')),
    scheme: r.text(1, 'key scheme'),
    kcv: r.text(16, 'KCV'),
  }));
}

/** X4: one page of the internal key list, from `first`. */
export function listKeysCommand(first = 1): WireCommand<{ keys: StoredKeyInfo[]; more: boolean }> {
  return command('X4', 'list keys', true, [assertIndex(first)], (r) => {
    const count = Number(r.text(3, 'count'));
    const more = r.text(1, 'more flag') === '1';
    const keys: StoredKeyInfo[] = [];
    for (let i = 0; i < count; i++) {
      keys.push({
        index: Number(r.text(4, 'index')),
        keyType: keyTypeName(r.text(3, 'key type')),
        scheme: r.text(1, 'key scheme'),
        kcv: r.text(16, 'KCV'),
      });
    }
    return { keys, more };
  });
}

/** X6: delete the key at an index. Changes the device: never repeated blindly. */
export function deleteKeyCommand(index: number): WireCommand<void> {
  return command('X6', 'delete key at index', false, [assertIndex(index)], () => undefined);
}

/** X8: the DMK check value (16H); error 13 on a factory device. */
export function dmkCheckValueCommand(): WireCommand<string> {
  return command('X8', 'DMK check value', true, [], (r) => r.text(16, 'DMK KCV'));
}

/** XA: a key from clear components (XOR), returned under the LMK; nothing stored. */
export function formKeyCommand(keyType: KeyType, scheme: LmkScheme, components: readonly string[]): WireCommand<{ keyUnderLmk: string; kcv: string }> {
  if (components.length < 2 || components.length > 9) throw new RangeError('XA takes 2 to 9 components');
  return command('XA', 'form key from components', true, [keyTypeCode(keyType), scheme, String(components.length), ...components], (r) => ({
    keyUnderLmk: readKeyField(r, LMK_FIELD_HEX, 'key under LMK'),
    kcv: r.text(16, 'KCV'),
  }));
}
