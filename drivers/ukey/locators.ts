/**
 * Where a TokenSource looks for tokens: the slots of a PKCS#11 module (bench: a vendor module;
 * CI: the SoftHSM2 pool), or a virtual token directory. A locator lists what is present *now*;
 * the source polls it (and wakes early on a USB insert event when a watcher is given).
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { Pkcs11Module } from './pkcs11-module.ts';
import { openPkcs11Token, type Pkcs11TokenOptions } from './pkcs11.ts';
import type { SoftHsmPool } from './softhsm-pool.ts';
import type { Token } from './token.ts';
import { openVirtualToken } from './virtual.ts';
import { listDeviceFiles, TOKEN_FILE_SUFFIX, VirtualUkeyDevice } from '../../virtual-ukey/index.ts';

export interface PresentToken {
  serial: string;
  label: string;
  open(): Promise<Token>;
}

export interface TokenLocator {
  /** Human words for messages: "PKCS#11 module /usr/lib/x.so". */
  readonly where: string;
  present(): Promise<PresentToken[]>;
  /** Emits 'insert' when a token may have appeared (a virtual token directory: a file arrived), so a waiting source looks at once. */
  readonly inserts?: EventEmitter;
}

/** Initialized tokens in the slots of a PKCS#11 module. */
export function pkcs11Locator(modulePath: string, opts: Pkcs11TokenOptions = {}): TokenLocator {
  return {
    where: `PKCS#11 module ${modulePath}`,
    async present() {
      const module = Pkcs11Module.load(modulePath);
      try {
        return module
          .slots(true)
          .filter((s) => s.initialized)
          .map((s) => ({ serial: s.serial ?? '', label: s.label ?? '', open: async () => openPkcs11Token(modulePath, s.slotId, opts) }));
      } finally {
        module.release();
      }
    },
  };
}

/** The tokens of a SoftHSM2 pool (CI). */
export function poolLocator(pool: SoftHsmPool): TokenLocator {
  return {
    where: `SoftHSM2 pool ${pool.dir}`,
    present: async () => pool.members.map((m) => ({ serial: m.serial, label: m.label, open: async () => pool.open(m.index) })),
  };
}

/** 'insert' whenever a token file in `dir` appears or changes; the folder is watched only while someone listens. */
function folderInserts(dir: string): EventEmitter {
  const e = new EventEmitter();
  let watcher: FSWatcher | undefined;
  e.on('newListener', (name) => {
    if (name !== 'insert' || watcher) return;
    try {
      watcher = watch(dir, { persistent: false }, (_, file) => {
        if (!file || String(file).endsWith(TOKEN_FILE_SUFFIX)) e.emit('insert');
      });
      watcher.on('error', () => undefined);
    } catch {
      // No watching here (a missing folder): the source polls as it would without.
    }
  });
  e.on('removeListener', (name) => {
    if (name === 'insert' && e.listenerCount('insert') === 0) {
      watcher?.close();
      watcher = undefined;
    }
  });
  return e;
}

/** The token files of a virtual token directory; a file moved into it wakes a waiting source at once. */
export function virtualLocator(dir: string): TokenLocator {
  return {
    where: `virtual token directory ${dir}`,
    inserts: folderInserts(dir),
    async present() {
      const out: PresentToken[] = [];
      for (const file of await listDeviceFiles(dir)) {
        const info = (await VirtualUkeyDevice.open(file)).info();
        out.push({ serial: info.serial, label: info.label, open: () => openVirtualToken(file) });
      }
      return out;
    },
  };
}
