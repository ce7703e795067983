/**
 * The role record: its byte format (docs/ukey-layout.md), and the check that turns a wrong
 * token into a sentence an operator understands ("this is KBK share 2 of backup X, not a DMK
 * component"). Role records hold no secrets, so they may appear in messages.
 */
import { TokenError, UKEY_ROLES, type RoleExpectation, type RoleRecord, type UkeyRole } from './token.ts';

export const ROLE_FORMAT = 'evsm-lab/ukey-role@1';

/** One line of JSON, UTF-8, keys in a fixed order so equal records are equal bytes. */
export function encodeRole(record: RoleRecord): Buffer {
  validateRole(record);
  const out: Record<string, string | number> = { format: ROLE_FORMAT, role: record.role, deviceId: record.deviceId };
  if (record.number !== undefined) out.number = record.number;
  if (record.total !== undefined) out.total = record.total;
  if (record.backupId !== undefined) out.backupId = record.backupId;
  return Buffer.from(JSON.stringify(out), 'utf8');
}

/** Parses a role record; a token prepared by hand with a broken record gets a clear error. */
export function decodeRole(bytes: Uint8Array): RoleRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8').trim());
  } catch {
    throw new TokenError('device', 'the role record (evsm.role) is not JSON: see docs/ukey-layout.md');
  }
  if (typeof raw !== 'object' || raw === null) throw new TokenError('device', 'the role record (evsm.role) is not a JSON object');
  const r = raw as Record<string, unknown>;
  if (r.format !== ROLE_FORMAT) throw new TokenError('device', `the role record has format ${JSON.stringify(r.format)}, expected "${ROLE_FORMAT}"`);
  const record: RoleRecord = { role: r.role as UkeyRole, deviceId: r.deviceId as string };
  if (r.number !== undefined) record.number = r.number as number;
  if (r.total !== undefined) record.total = r.total as number;
  if (r.backupId !== undefined) record.backupId = r.backupId as string;
  validateRole(record);
  return record;
}

function validateRole(r: RoleRecord): void {
  const bad = (why: string): never => {
    throw new TokenError('device', `invalid role record: ${why}`);
  };
  if (!UKEY_ROLES.includes(r.role)) bad(`role must be one of ${UKEY_ROLES.join(', ')}`);
  if (typeof r.deviceId !== 'string' || r.deviceId.length === 0) bad('deviceId must be a non-empty string');
  for (const k of ['number', 'total'] as const) {
    const v = r[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 255)) bad(`${k} must be an integer 1..255`);
  }
  if (r.number !== undefined && r.total !== undefined && r.number > r.total) bad('number is greater than total');
  if (r.backupId !== undefined && (typeof r.backupId !== 'string' || r.backupId.length === 0)) bad('backupId must be a non-empty string');
  if ((r.role === 'kbk-share' || r.role === 'backup') && r.backupId === undefined) bad(`a ${r.role} record needs a backupId`);
  if ((r.role === 'kbk-share' || r.role === 'dmk-component') && r.number === undefined) bad(`a ${r.role} record needs a number`);
}

const ROLE_NOUN: Record<UkeyRole, string> = {
  'dmk-component': 'DMK component',
  'kbk-share': 'KBK share',
  auth: 'authorization key',
  backup: 'backup',
};

/** "KBK share 2 of 3 of backup X (device EVSM-A)", "DMK component 1 of 2 (device EVSM-A)". */
export function describeRole(r: RoleRecord | RoleExpectation): string {
  let s = ROLE_NOUN[r.role];
  if (r.role === 'backup') s = r.backupId !== undefined ? `backup ${r.backupId}` : 'a backup';
  else if (r.number !== undefined) s += ` ${r.number}${r.total !== undefined ? ` of ${r.total}` : ''}`;
  if (r.role === 'kbk-share' && r.backupId !== undefined) s += ` of backup ${r.backupId}`;
  if (r.deviceId !== undefined) s += ` (device ${r.deviceId})`;
  return s;
}

/** The noun phrase for what was expected: "a DMK component", "KBK share 2 of backup X". */
function describeExpected(e: RoleExpectation): string {
  const d = describeRole(e);
  return e.number === undefined && e.role !== 'backup' ? `a ${d}` : d;
}

/** Throws TokenError('wrong-token' | 'no-role') unless `record` matches `expected`. */
export function checkRole(record: RoleRecord | undefined, expected: RoleExpectation, tokenName: string): RoleRecord {
  if (record === undefined) {
    throw new TokenError('no-role', `${tokenName} is blank (it carries no role record), not ${describeExpected(expected)}`);
  }
  const mismatch =
    record.role !== expected.role ||
    (expected.deviceId !== undefined && record.deviceId !== expected.deviceId) ||
    (expected.number !== undefined && record.number !== expected.number) ||
    (expected.total !== undefined && record.total !== expected.total) ||
    (expected.backupId !== undefined && record.backupId !== expected.backupId);
  if (mismatch) {
    throw new TokenError('wrong-token', `${tokenName}: this is ${describeRole(record)}, not ${describeExpected(expected)}`);
  }
  return record;
}
