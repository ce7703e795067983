/** The crypto core: one import for the emulator, drivers and harness. */
export * from './bytes.ts';
export * from './sm4.ts';
export * from './sm3.ts';
export * from './sm2.ts';
export * from './tdes.ts';
export * from './pad.ts';
export * from './kcv.ts';
export * from './components.ts';
export * from './sharing.ts';
export * from './parity.ts';
