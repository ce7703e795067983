/**
 * `report verify`: checks a certification page in three parts, each reported on its own line
 *  - digest:    the embedded data hashes (canonical form, SM3) to the digest the page states;
 *  - content:   the page is exactly what that data renders to (no edited text);
 *  - signature: the SM2 signature verifies, with the given lab key when one is given.
 * A PDF is checked against its detached seal instead (pdf-seal.ts).
 */
import { readFileSync } from 'node:fs';
import { checkSeal, type Seal } from '../seal.ts';
import { PAGE_LAYOUT, type CertificationData } from './model.ts';
import { renderCertification, DATA_ELEMENT_ID, SEAL_ELEMENT_ID } from './render.ts';

import type { VerifyCheck } from './verify-types.ts';
import { verifyPdfFile } from './pdf-seal.ts';

export type { VerifyCheck };

function embedded(html: string, id: string): string | undefined {
  const re = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`);
  return re.exec(html)?.[1];
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split('\n').length;
  const snippet = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 20), i + 40));
  return `line ${line}: the page has ${snippet(a)} where its results render ${snippet(b)}`;
}

export function verifyCertificationHtml(html: string, trusted?: Buffer): VerifyCheck[] {
  const dataText = embedded(html, DATA_ELEMENT_ID);
  const sealText = embedded(html, SEAL_ELEMENT_ID);
  if (dataText === undefined || sealText === undefined) {
    return [{ name: 'format', ok: false, detail: 'not an evsm-lab certification page: the embedded results or seal are missing' }];
  }
  let data: CertificationData;
  let seal: Seal;
  try {
    data = JSON.parse(dataText) as CertificationData;
    seal = JSON.parse(sealText) as Seal;
  } catch (e) {
    return [{ name: 'format', ok: false, detail: `the embedded results or seal are not valid JSON: ${(e as Error).message}` }];
  }
  const checks: VerifyCheck[] = [];
  const sealChecks = checkSeal(data, seal, trusted);
  checks.push(sealChecks[0]);
  let rendered: string;
  try {
    rendered = renderCertification(data, seal);
  } catch (e) {
    rendered = `render failed: ${(e as Error).message}`;
  }
  checks.push(
    rendered !== html && data.layout !== PAGE_LAYOUT
      ? {
          name: 'content',
          ok: false,
          detail: `the page was made with layout ${data.layout ?? 'unknown'} and this evsm-lab renders ${PAGE_LAYOUT}, so its text cannot be compared; verify it with the evsm-lab version that made it (${data.versions?.['evsm-lab'] ?? 'unknown'})`,
        }
      : rendered === html
      ? { name: 'content', ok: true, detail: `the page text is what its ${data.runs?.length ?? 0} scenario runs render to` }
      : { name: 'content', ok: false, detail: `the page was edited after it was made (${firstDifference(html, rendered)})` },
  );
  checks.push(sealChecks[1]);
  return checks;
}

export function verifyCertificationFile(file: string, trusted?: Buffer): VerifyCheck[] {
  if (/\.pdf$/i.test(file)) return verifyPdfFile(file, trusted);
  let html: string;
  try {
    html = readFileSync(file, 'utf8');
  } catch (e) {
    return [{ name: 'format', ok: false, detail: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` }];
  }
  return verifyCertificationHtml(html, trusted);
}
