/**
 * Public API of the EVSM client. Applications and the harness import from here only.
 *
 *   const client = await EvsmClient.open('./cacipher.ini');         // or a '{[HOST1];…}' string
 *   const [key, cv] = await client.sdk.genWorkKey('00A', 'X', 1, 'test');   // the vendor SDK's call
 *   const kcv = await client.storeKey(2, 'ZEK', 'P', { label: 'app' });     // the typed call
 *   client.close();
 */
export { EvsmClient } from './client.ts';
export { EvsmSdk, MAX_BLOCK_SIZE, type SdkTransport, type SymmKeyAttribute, type SdkKey } from './sdk.ts';
export { EvsmClientCore, type ClientOptions, type CommandEvent, type HostStatus } from './core.ts';
export {
  keyAt,
  KEY_TYPE_CODES,
  ERROR_MEANINGS,
  keyTypeCode,
  keyTypeName,
  type KeyType,
  type KeyTypeName,
  type KeyTypeCode,
  type KeyFlag,
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
export { KEY_FLAG_LENGTHS, KEY_FLAG_ALGORITHMS, isKeyFlag, blockSizeOf } from './commands/key-types.ts';
export { isKnownErrorCode } from './commands/error-codes.ts';
export {
  loadCacipher,
  loadCacipherFile,
  parseCacipherString,
  parseCacipherText,
  readConfigFile,
  formatWarning,
  type ParseOptions,
} from './config/parse.ts';
export { MAX_CONFIG_BYTES } from './config/lines.ts';
export { hostProblem } from './config/host-name.ts';
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
  EvsmParameterError,
  EvsmProtocolError,
  EvsmHostError,
  EvsmUnavailableError,
  EvsmNotRetriedError,
  EvsmClosedError,
  type ConfigLocation,
  type HostFailureReason,
} from './errors.ts';
export type { FailoverPolicy, WireCommand, DispatchOptions } from './failover.ts';
// For commands without a typed call: the builders (every SJJ1310 command of sjj1310-wire.md),
// or a WireCommand of your own built with encodeCommand / openAnswer, passed to `execute`.
export * as commands from './commands/catalog.ts';
export { encodeCommand, openAnswer, readStatus, responseCodeFor, FieldReader } from './commands/codec.ts';
export type { HostState } from './pool/host-pool.ts';
export type { LogRecord, LogSink } from './log/logger.ts';
export { redactText } from './log/redact.ts';
