import { hash } from 'crypto';

/**
 * SHA-256 of a text's UTF-8 bytes, in one call: `crypto.hash` (Node ≥ 20.12)
 * skips the stream object `createHash` builds, which cost more than the
 * hashing itself on the posting and request paths.
 */
export const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/** SHA-256 of bytes, as 64 lowercase hex digits (content addresses). */
export const sha256Hex = (bytes: Buffer): string => hash('sha256', bytes, 'hex');
