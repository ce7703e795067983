/**
 * How many Playwright workers the `hardware` project may use (its target's `project()`,
 * harness/targets/hardware.target.ts). A real bench has one set of devices and one person: its
 * scenarios must run one at a time (two tests resetting device A at once, or two prompts on one
 * terminal, make no sense). A rehearsal lab file (a `rehearsal` member) is the `rehearsal`
 * target's, which starts its own emulators per worker on offset ports and runs in parallel; the
 * hardware project skips it, so its worker count does not matter there.
 * Read by playwright.config.ts, so it only peeks at the file: a lab file that cannot be read or
 * parsed gets 1 worker here, and the hardware-lab check reports the error.
 */
import { readLabText } from './read-file.ts';

export function hardwareWorkers(labFile: string | undefined): number | undefined {
  if (!labFile) return undefined; // no lab file: every hardware test skips at once
  try {
    const raw = JSON.parse(readLabText(labFile)) as unknown;
    const isRehearsal = typeof raw === 'object' && raw !== null && 'rehearsal' in raw;
    return isRehearsal ? undefined : 1;
  } catch {
    return 1;
  }
}
