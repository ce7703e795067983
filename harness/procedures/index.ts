/** Every seed procedure, as data. */
import { backupExport } from './backup-export.ts';
import { restoreImport } from './restore-import.ts';
import { originalInit } from './original-init.ts';
import { recoveryInit } from './recovery-init.ts';
import { getDmkKcv } from './dmk-kcv.ts';
import { exportDmkComponents } from './export-components.ts';
import type { Procedure } from './types.ts';

export { backupExport, restoreImport, originalInit, recoveryInit, getDmkKcv, exportDmkComponents };
export * from './types.ts';

export const PROCEDURES: readonly Procedure[] = [backupExport, restoreImport, originalInit, recoveryInit, getDmkKcv, exportDmkComponents];
