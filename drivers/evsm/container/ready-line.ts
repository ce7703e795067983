/**
 * The emulator's ready line, its contract with everything that starts it:
 *   evsm-emulator ready name=<NAME> port=<P> mgmt-port=<Q> tls-port=<T or -> pid=<PID> dmk-kcv=<16H or ->
 * (dmk-kcv came later: a line without it still parses.)
 */
export interface ReadyLine {
  name: string;
  port: number;
  mgmtPort: number;
  /** undefined when the emulator printed tls-port=- */
  tlsPort: number | undefined;
  pid: number;
  /** DMK check value; undefined on a factory device (dmk-kcv=-) or from an emulator that does not print it */
  dmkKcv?: string;
}

const READY = /evsm-emulator ready name=(\S+) port=(\d+) mgmt-port=(\d+) tls-port=(\d+|-) pid=(\d+)(?: dmk-kcv=([0-9A-F]{16}|-))?/;

export function parseReadyLine(line: string): ReadyLine | undefined {
  const m = READY.exec(line);
  if (!m) return undefined;
  const ready: ReadyLine = { name: m[1], port: Number(m[2]), mgmtPort: Number(m[3]), tlsPort: m[4] === '-' ? undefined : Number(m[4]), pid: Number(m[5]) };
  if (m[6] && m[6] !== '-') ready.dmkKcv = m[6];
  return ready;
}

/** The last ready line in a log (after a restart the log holds one per start). */
export function lastReadyLine(log: string): ReadyLine | undefined {
  let found: ReadyLine | undefined;
  for (const line of log.split('\n')) found = parseReadyLine(line) ?? found;
  return found;
}

/** What the wait strategy looks for: the ready line of THIS device on THIS port. */
export function readyLinePattern(name: string, port: number): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`evsm-emulator ready name=${escaped} port=${port} `);
}
