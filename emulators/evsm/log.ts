/** The device log (stderr). Lines name operations and outcomes, never key material. */
export interface Logger {
  info(msg: string): void;
  debug(msg: string): void;
}

export function stderrLogger(name: string, debug: boolean): Logger {
  const line = (level: string, msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${name} ${level} ${msg}\n`);
  };
  return { info: (m) => line('info', m), debug: (m) => (debug ? line('debug', m) : undefined) };
}

export const silentLogger: Logger = { info: () => undefined, debug: () => undefined };
