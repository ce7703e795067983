/**
 * The typed host commands, each as a WireCommand: encoder, idempotence flag, decoder.
 * Field layouts follow docs/host-protocol.md.
 */
import type { WireCommand } from '../failover.ts';
import { encodeCommand, openAnswer } from './codec.ts';

/** B2 echo: the device sends the data back; used as the health probe too. */
export function echoCommand(data: string): WireCommand<string> {
  const len = Buffer.byteLength(data, 'latin1').toString(16).toUpperCase().padStart(4, '0');
  return {
    code: 'B2',
    name: 'B2 echo',
    idempotent: true,
    message: encodeCommand('B2', len, data),
    parse: (answer, host) => {
      const r = openAnswer('B2', answer, host);
      return r.restText();
    },
  };
}
