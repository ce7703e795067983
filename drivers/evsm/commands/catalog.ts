/**
 * Every command builder, in one place: each returns a WireCommand (encoded request, answer
 * decoder, whether it is safe to repeat on another host). Safe = the device keeps no new state
 * from it; not safe = it stores or deletes (A0/A6 with an index, KF, E7 with an index).
 */
export * from './device.ts';
export * from './keys.ts';
export * from './data.ts';
export * from './mac.ts';
export * from './pin.ts';
export * from './sm2.ts';
export * from './hash.ts';
export * from './extensions.ts';
