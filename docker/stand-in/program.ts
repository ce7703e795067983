/**
 * Stand-in for the EVSM emulator entry (emulators/evsm/program.ts), used only while that file
 * does not exist yet and by the image pipeline's own tests. Same command line, same ready line,
 * same SIGTERM behaviour; the "protocol" is one line per request:
 *   PUT <text>  → stores <text> in DIR/stand-in.txt (so volume persistence can be checked)
 *   GET         → answers the stored text
 *   anything    → echoed back
 */
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`stand-in: ${name} is required`);
  return v;
}

const port = Number(arg('--port'));
const mgmtPort = Number(arg('--mgmt-port'));
const data = arg('--data');
const name = arg('--name', 'EVSM');
const host = arg('--host', '127.0.0.1');
const store = join(data, 'stand-in.txt');
mkdirSync(data, { recursive: true });

function serve(p: number): Promise<ReturnType<typeof createServer>> {
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const line = chunk.trim();
      if (line.startsWith('PUT ')) {
        writeFileSync(store, line.slice(4));
        socket.write('OK\n');
      } else if (line === 'GET') socket.write(`${existsSync(store) ? readFileSync(store, 'utf8') : ''}\n`);
      else socket.write(`${line}\n`);
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(p, host, () => resolve(server)));
}

const servers = await Promise.all([serve(port), serve(mgmtPort)]);
console.log(`evsm-emulator ready name=${name} port=${port} mgmt-port=${mgmtPort} tls-port=- pid=${process.pid}`);
process.once('SIGTERM', () => {
  for (const s of servers) s.close();
  console.log(`evsm-emulator stopped name=${name}`);
  process.exit(0);
});
