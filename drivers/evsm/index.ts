/**
 * Public API of the EVSM client. Applications and the harness import from here only.
 *
 *   const client = await EvsmClient.open('./cacipher.ini');         // or a '{[HOST1];…}' string
 *   const echoed = await client.echo('hello');
 *   client.close();
 */
export { EvsmClient, type AlgFlag } from './client.ts';
export { EvsmClientCore, type ClientOptions, type CommandEvent, type HostStatus } from './core.ts';
export {
  keyAt,
  KEY_TYPE_CODES,
  ERROR_MEANINGS,
  type KeyType,
  type KeyTypeName,
  type KeyTypeCode,
  type KeyRef,
  type LmkScheme,
  type ZmkScheme,
  type GeneratedKey,
  type Diagnostics,
  type DeviceStatus,
  type StoredKeyInfo,
  type MacOptions,
  type DataCipherOptions,
  type DataCipherResult,
  type PinTranslation,
} from './commands/types.ts';
export {
  loadCacipher,
  loadCacipherFile,
  parseCacipherString,
  parseCacipherText,
  formatWarning,
  type ParseOptions,
} from './config/parse.ts';
export {
  HSM_MODELS,
  LOG_CATEGORIES,
  type CacipherConfig,
  type ConfigWarning,
  type HostConfig,
  type HsmModel,
  type LogCategory,
  type LoggerConfig,
  type ParsedCacipher,
  type SocketProtocol,
  type TlsConfig,
} from './config/types.ts';
export {
  EvsmError,
  CacipherConfigError,
  EvsmCommandError,
  EvsmProtocolError,
  EvsmHostError,
  EvsmUnavailableError,
  EvsmNotRetriedError,
  EvsmClosedError,
  type ConfigLocation,
  type HostFailureReason,
} from './errors.ts';
export type { FailoverPolicy, WireCommand, DispatchOptions } from './failover.ts';
// For commands this client has no typed call for: build a WireCommand and pass it to `execute`.
export { encodeCommand, openAnswer, responseCodeFor, FieldReader } from './commands/codec.ts';
export type { HostState } from './pool/host-pool.ts';
export type { LogRecord, LogSink } from './log/logger.ts';
export { redactText } from './log/redact.ts';
