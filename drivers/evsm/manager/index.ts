/** Management client of the EVSM (docs/management-protocol.md). */
export { ManagerClient, ManagementError, type ManagerConnectOptions } from './client.ts';
export { authMessage, buildAuthorization, keySigner, type Signer } from './auth.ts';
export * from './types.ts';
