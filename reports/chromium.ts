/**
 * Chromium for printing and checking reports. Playwright cannot download its own browsers
 * here, so reports use the system Chromium (Debian `chromium`), path overridable with
 * EVSM_LAB_CHROMIUM.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from '@playwright/test';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.EVSM_LAB_CHROMIUM || '/usr/bin/chromium';
}

/** A one-line reason when Chromium is not there, else undefined. */
export function chromiumMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const p = chromiumPath(env);
  return existsSync(p) ? undefined : `Chromium is not installed at ${p}: run \`npm run setup:system\` (Debian package chromium)`;
}

export function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(env), args: CHROMIUM_ARGS });
}

/** Prints an HTML page to an A4 PDF with page numbers and the report digest in the footer. */
export async function printPdf(html: string, pdfFile: string, footerText: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const browser = await launchChromium(env);
  try {
    const page = await browser.newPage();
    // The page is self-contained (inline CSS, no scripts that run, no remote resources).
    await page.setContent(html, { waitUntil: 'load' });
    await page.pdf({
      path: pdfFile,
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: `<div style="font-size:7px;width:100%;padding:0 12mm;color:#666;display:flex;justify-content:space-between"><span>${footerText
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')}</span><span><span class="pageNumber"></span>/<span class="totalPages"></span></span></div>`,
      margin: { top: '14mm', bottom: '16mm', left: '12mm', right: '12mm' },
    });
  } finally {
    await browser.close();
  }
}
