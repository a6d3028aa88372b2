import { randomFillSync } from 'crypto';

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits.
 * Used for the ids of high-volume rows (ledger transactions, records): ids
 * made close in time sort close together, so new rows land at the right-hand
 * edge of their primary-key index instead of on a random page of it, which
 * keeps index inserts in cache and their WAL small (a random id dirties a
 * different page, and after a checkpoint writes a full page image, per row).
 * The time a row was made is no secret here: the rows carry it anyway.
 */
const pool = Buffer.alloc(16 * 256);
let next = pool.length;

export function timeOrderedUuid(now = Date.now()): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const b = pool.subarray(next, next + 16);
  next += 16;
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
