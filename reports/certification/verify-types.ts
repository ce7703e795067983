/** One line of `report verify`'s answer. */
export type VerifyCheck = { name: 'format' | 'digest' | 'content' | 'signature'; ok: boolean; detail: string; signedBy?: string; byGivenKey?: boolean };
