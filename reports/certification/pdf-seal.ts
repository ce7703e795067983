/**
 * The PDF's detached seal. A printed PDF cannot be re-rendered byte for byte (Chromium stamps
 * dates into it), so instead of embedding, the builder writes `certification.pdf.seal.json`
 * next to it: a statement {format, file, SM3 of the PDF bytes, digest of the results it was
 * printed from}, sealed like the page (SM3 of the statement's canonical form, SM2 signature).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { sm3, hex } from '../../crypto/index.ts';
import { checkSeal, makeSeal, type Seal } from '../seal.ts';
import type { VerifyCheck } from './verify-types.ts';

export const PDF_SEAL_FORMAT = 'evsm-lab/certification-pdf/1';

export type PdfStatement = { format: string; file: string; sm3: string; resultsDigest: string };
export type PdfSeal = { statement: PdfStatement; seal: Seal };

export function sealPdf(pdfFile: string, resultsDigest: string, privateKey?: Buffer): PdfSeal {
  const statement: PdfStatement = { format: PDF_SEAL_FORMAT, file: basename(pdfFile), sm3: hex(sm3(readFileSync(pdfFile))), resultsDigest };
  return { statement, seal: makeSeal(statement, privateKey) };
}

export function pdfSealFile(pdfFile: string): string {
  return `${pdfFile}.seal.json`;
}

export function verifyPdfFile(pdfFile: string, trusted?: Buffer, sealFile = pdfSealFile(pdfFile)): VerifyCheck[] {
  let pdf: Buffer;
  let sealed: PdfSeal;
  try {
    pdf = readFileSync(pdfFile);
  } catch (e) {
    return [{ name: 'format', ok: false, detail: `cannot read ${pdfFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})` }];
  }
  try {
    sealed = JSON.parse(readFileSync(sealFile, 'utf8')) as PdfSeal;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return [{ name: 'format', ok: false, detail: code ? `no seal for this PDF: ${sealFile} (${code}); a PDF is verified with the .seal.json written beside it` : `${sealFile} is not valid JSON` }];
  }
  if (sealed?.statement?.format !== PDF_SEAL_FORMAT || !sealed.seal) {
    return [{ name: 'format', ok: false, detail: `${sealFile} is not an evsm-lab PDF seal` }];
  }
  const [digest, signature] = checkSeal(sealed.statement, sealed.seal, trusted);
  const actual = hex(sm3(pdf));
  const content: VerifyCheck =
    actual === sealed.statement.sm3
      ? { name: 'content', ok: true, detail: `the PDF is the one sealed (SM3 ${actual}), printed from results ${sealed.statement.resultsDigest}` }
      : { name: 'content', ok: false, detail: `the PDF was changed: its SM3 is ${actual}, the seal names ${sealed.statement.sm3}` };
  return [{ ...digest, detail: digest.ok ? `seal statement SM3 ${sealed.seal.digest}` : digest.detail.replace('embedded results', 'seal statement') }, content, signature];
}
