/** The parsed form of a cacipher configuration (file `cacipher.ini` or the `{…}` string). */

/**
 * Device types this client has a driver for. The vendor SDK's jars carry the SJJ1310 driver only
 * (`hsmModel=SJJ1303` fails its init), and `hsmModel` is case-sensitive there.
 */
export const HSM_MODELS = ['SJJ1310'] as const;
export type HsmModel = (typeof HSM_MODELS)[number];

/** Log categories `logsw` can switch on. `error` and `debug` are the vendor's; `warn`, `info` are ours. */
export const LOG_CATEGORIES = ['error', 'warn', 'info', 'debug'] as const;
export type LogCategory = (typeof LOG_CATEGORIES)[number];

export type SocketProtocol = 'TCP' | 'TLSv1.2';

export interface LoggerConfig {
  /** Categories switched on; empty means no logging. */
  categories: LogCategory[];
  /** Directory for log files, as written (resolved against `baseDir` when opened); undefined = no file. */
  logPath: string | undefined;
}

export interface TlsConfig {
  /** PEM file of the CA that signed the device certificate (extension key `tlsCaFile`). */
  caFile?: string;
  /** Client certificate and key for mutual TLS (extension keys `tlsCertFile`, `tlsKeyFile`). */
  certFile?: string;
  keyFile?: string;
  /** Name to verify in the device certificate when `host` is an IP (extension key `tlsServerName`). */
  serverName?: string;
}

export interface HostConfig {
  /** n of `[HOSTn]`, from 1. */
  index: number;
  /** Display name, `HOSTn`. */
  name: string;
  hsmModel: HsmModel;
  host: string;
  port: number;
  /** As in the file (default 10): N > 0 pooled plus short-lived extras, N < 0 pool only, 0 a connection per request. */
  linkNum: number;
  /** Seconds, as configured (after fallbacks): `timeout` default 6, connect/read fall back to it. */
  timeout: number;
  connTimeout: number;
  readTimeout: number;
  socketProtocol: SocketProtocol;
  tls: TlsConfig | undefined;
  /** `msgheadlength`: header bytes after the frame length (undefined = the client's default, 0). */
  headerLength?: number;
  /** `encodetype` as written (GBK or UTF-8); no effect on the wire, as with the SDK. */
  encodeType?: string;
}

export interface CacipherConfig {
  logger: LoggerConfig;
  hosts: HostConfig[];
}

/** A non-fatal finding (unknown section or key, ignored host): the config still loads. */
export interface ConfigWarning {
  message: string;
  line?: number;
  section?: string;
  key?: string;
}

export interface ParsedCacipher {
  config: CacipherConfig;
  warnings: ConfigWarning[];
}
