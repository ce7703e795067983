/** What a host command handler is: request fields in, answer fields out (after error code 00). */
import type { Device } from '../device/device.ts';
import type { Fields } from './fields.ts';

export interface HostContext {
  device: Device;
}

/** Returns the answer fields; throws HostError to refuse. */
export type Handler = (ctx: HostContext, f: Fields) => string | Buffer;
