import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual } from 'crypto';

/**
 * Passwords: scrypt at OWASP's recommended cost (N=2^17, r=8, p=1: 128 MiB and
 * about 0.4 s a hash on one core here), salted, with the parameters stored
 * beside the hash so that they can be raised later without a migration.
 * Runs on libuv's thread pool: the event loop keeps serving while it hashes.
 */
const COST = { N: 1 << 17, r: 8, p: 1 };
const MAXMEM = 256 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, len: number, p: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, len, { ...p, maxmem: MAXMEM }, (e, key) => (e ? reject(e) : resolve(key))));
}

/** A salted scrypt hash with its parameters: `scrypt$N$r$p$salt$hash`. */
export async function scryptHash(secret: string, cost: { N: number; r: number; p: number }): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, 32, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export const hashPassword = (password: string) => scryptHash(password, COST);

/** Whether `password` matches a stored `scrypt$…` hash, at the cost it was stored with (passwords and PINs alike). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(got, expected);
}

/** A hash of nothing anyone knows: an unknown phone costs a sign-in the same time as a wrong password. */
let decoy: Promise<string> | null = null;
export const decoyPasswordHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));

// No 0/o, 1/l/i: read aloud or copied from a slip of paper without mistakes.
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';

/** An initial password, shown once: 10 characters (about 49 bits), grouped for reading, e.g. "k7m4-xq9p-2h". */
export function initialPassword(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}
