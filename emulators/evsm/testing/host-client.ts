/**
 * A minimal host-protocol client for the emulator's own tests and benchmark (the real client
 * is drivers/evsm). Pipelines requests on one connection; answers are matched in order.
 */
import { connect, type Socket } from 'node:net';

export interface HostAnswer {
  header: string;
  code: string;
  error: string;
  /** the fields after the error code */
  body: Buffer;
  text: string;
}

export class HostClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(a: HostAnswer) => void> = [];
  private seq = 0;

  private constructor(
    readonly socket: Socket,
    readonly headerLength: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  static connect(port: number, headerLength = 4, host = '127.0.0.1'): Promise<HostClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host);
      s.once('connect', () => resolve(new HostClient(s, headerLength)));
      s.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 2) {
      const n = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + n) break;
      const msg = this.buffered.subarray(2, 2 + n);
      this.buffered = this.buffered.subarray(2 + n);
      const h = this.headerLength;
      const body = Buffer.from(msg.subarray(h + 4));
      this.waiting.shift()?.({
        header: msg.subarray(0, h).toString('latin1'),
        code: msg.subarray(h, h + 2).toString('latin1'),
        error: msg.subarray(h + 2, h + 4).toString('latin1'),
        body,
        text: body.toString('latin1'),
      });
    }
  }

  /** Sends raw bytes (already framed or not) and expects `answers` answers. */
  sendRaw(bytes: Buffer, answers = 1): Promise<HostAnswer[]> {
    const out: Array<Promise<HostAnswer>> = [];
    for (let i = 0; i < answers; i++) out.push(new Promise((r) => this.waiting.push(r)));
    this.socket.write(bytes);
    return Promise.all(out);
  }

  /** Sends command + fields with a fresh numeric header; resolves with the answer. */
  request(command: string, ...fields: Array<string | Buffer>): Promise<HostAnswer> {
    // No header at all when the device is set to 0 (the default), not a stray "0".
    const header = this.headerLength ? String(this.seq++ % 10 ** this.headerLength).padStart(this.headerLength, '0') : '';
    const body = Buffer.concat([Buffer.from(header + command, 'latin1'), ...fields.map((f) => (typeof f === 'string' ? Buffer.from(f, 'latin1') : f))]);
    return this.sendRaw(frameMessage(body)).then((a) => a[0]);
  }

  /** Like request, but rejects unless the error code is 00; resolves with the field text. */
  async ok(command: string, ...fields: Array<string | Buffer>): Promise<string> {
    const a = await this.request(command, ...fields);
    if (a.error !== '00') throw new Error(`${command} answered ${a.code} ${a.error}`);
    return a.text;
  }

  close(): void {
    this.socket.end();
  }
}

export function frameMessage(body: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length, 0);
  return Buffer.concat([head, body]);
}
