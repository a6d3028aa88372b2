import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'crypto';
import { scryptHash, verifyPassword } from './password';

/**
 * Personal data at rest: ID numbers and phones are encrypted with AES-256-GCM,
 * and found again through an HMAC of the normalised value. Both keys are
 * derived from PII_KEY with HKDF, so one secret serves both purposes safely.
 */
export class PiiCipher {
  private readonly encKey: Buffer;
  private readonly lookupKey: Buffer;

  constructor(secret: string) {
    const ikm = Buffer.from(secret, 'utf8');
    this.encKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'jifen pii encryption v1', 32));
    this.lookupKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'jifen pii lookup v1', 32));
  }

  encrypt(plain: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.encKey, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
  }

  decrypt(blob: Buffer): string {
    if (blob[0] !== 1) throw new Error('unknown PII cipher version');
    const d = createDecipheriv('aes-256-gcm', this.encKey, blob.subarray(1, 13));
    d.setAuthTag(blob.subarray(13, 29));
    return Buffer.concat([d.update(blob.subarray(29)), d.final()]).toString('utf8');
  }

  lookup(normalised: string): Buffer {
    return createHmac('sha256', this.lookupKey).update(normalised, 'utf8').digest();
  }
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** Normalises an 18-digit resident ID number and checks its ISO 7064 check digit. */
export function normaliseIdNumber(raw: string): string | null {
  const s = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return null;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(s[i]), 0);
  return ID_CHECK[sum % 11] === s[17] ? s : null;
}

/** The check digit that makes the first 17 digits a valid ID number (for test and demo data). */
export function idCheckDigit(first17: string): string {
  return ID_CHECK[ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first17[i]), 0) % 11];
}

/** 5101**********1234: first four and last four kept. */
export const maskIdNumber = (id: string) => `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
/** 138****1234 */
export const maskPhone = (p: string) => (p.length >= 7 ? `${p.slice(0, 3)}${'*'.repeat(p.length - 7)}${p.slice(-4)}` : '*'.repeat(p.length));

/** PINs are short, so they get a slow, salted hash too (scrypt, N=2^14: a PIN is checked at every redemption). */
const PIN_COST = { N: 16384, r: 8, p: 1 };

export const hashPin = (pin: string) => scryptHash(pin, PIN_COST);
export const verifyPin = (pin: string, stored: string) => verifyPassword(pin, stored);
