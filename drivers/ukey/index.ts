/** The UKEY layer in one import for the harness (docs/ukey.md). */
export * from './token.ts';
export { describeRole, encodeRole, decodeRole, ROLE_FORMAT } from './role.ts';
export { LAYOUT, APPLICATION } from './layout.ts';
export { createVirtualToken, openVirtualToken, openVirtualTokens, VIRTUAL_PIN_LENGTH } from './virtual.ts';
export { openPkcs11Token, openPkcs11Tokens, findPkcs11Token, type Pkcs11TokenOptions } from './pkcs11.ts';
export { Pkcs11Module, type SlotSummary } from './pkcs11-module.ts';
export { SoftHsmPool, softHsmAvailable, SOFTHSM2_MODULE, type SoftHsmPoolOptions } from './softhsm-pool.ts';
export { listUsbTokens, UsbWatcher, UsbUnavailableError, parseUsbTable, usbTableFromEnv, usbTableFromEntries, slotForUsbToken, type UsbToken, type UsbTokenModel } from './usb.ts';
export { terminalOperator, recordingOperator, operatorPins, type TokenOperator } from './operator.ts';
export { askTerminal, tellTerminal, operatorTtyPath, TTY_ENV, TerminalCancelled, TerminalUnavailable, type TerminalQuestion } from './terminal.ts';
export { envPins, fixedPins, chainPins, pinEnvName, type PinProvider } from './pins.ts';
export { pkcs11Locator, poolLocator, virtualLocator, type TokenLocator } from './locators.ts';
export { LocatingTokenSource } from './token-source.ts';
export { benchTokenSource, poolTokenSource, virtualTokenSource } from './sources.ts';
