/**
 * The on-token layout (docs/ukey-layout.md is the prose version of this table): which object
 * carries which kind of content, under which label and class. Both adapters (virtual, PKCS#11)
 * read it, so the two kinds of token hold the same objects.
 */
import type { TokenObjectKind, UkeyRole } from './token.ts';

/** CKA_APPLICATION of every data object the harness writes. */
export const APPLICATION = 'evsm-lab';

/** CKA_ID (hex) shared by the auth key pair's two objects. */
export const AUTH_KEY_ID = '01';

export interface ObjectSpec {
  label: string;
  /** PKCS#11 class: data objects for byte strings, an EC key pair for the auth key. */
  class: 'data' | 'private-key' | 'public-key';
  /** CKA_PRIVATE: readable only after a user login. */
  private: boolean;
}

export const LAYOUT: Record<TokenObjectKind, ObjectSpec> = {
  role: { label: 'evsm.role', class: 'data', private: false },
  'dmk-component': { label: 'evsm.dmk-component', class: 'data', private: true },
  'kbk-share': { label: 'evsm.kbk-share', class: 'data', private: true },
  'auth-private-key': { label: 'evsm.auth', class: 'private-key', private: true },
  'auth-public-key': { label: 'evsm.auth', class: 'public-key', private: false },
  'auth-info': { label: 'evsm.auth-info', class: 'data', private: true },
  backup: { label: 'evsm.backup', class: 'data', private: true },
  'pin-state': { label: 'evsm.pin-state', class: 'data', private: false },
};

/** The object kinds each role owns (what `erase(role)` removes, besides the role record). */
export const ROLE_OBJECTS: Record<UkeyRole, TokenObjectKind[]> = {
  'dmk-component': ['dmk-component'],
  'kbk-share': ['kbk-share'],
  auth: ['auth-private-key', 'auth-public-key', 'auth-info'],
  backup: ['backup'],
};

/** Every kind the harness may erase; `pin-state` is the driver's own and survives erasing. */
export const ERASABLE: TokenObjectKind[] = ['role', 'dmk-component', 'kbk-share', 'auth-private-key', 'auth-public-key', 'auth-info', 'backup'];

/** DMK components are 16-byte secrets (docs/crypto.md). */
export const DMK_COMPONENT_LENGTH = 16;
