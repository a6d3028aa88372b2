import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { BadInput, Conflict } from '../http/app-error';
import { canonicalJson } from '../util/canonical-json';
import { sha256 } from '../util/sha256';

/**
 * The one idempotency mechanism (issue 17). Every path keeps an answer under
 * (tenant, scope, key) with a hash of its request, and follows the same rules:
 * the same key with the same request gets the first answer again (status and
 * body) and nothing happens twice; the same key with another request is a 409;
 * a twin sent while the first is still running waits for it in this process,
 * and across processes loses on the table's primary key. The paths differ only
 * in when the answer is written: with the effect, in one DB transaction
 * (`IdempotentCommands`, and the ledger's group-commit batch, which writes it
 * inside its batch statement), or after the handler (the HTTP interceptor, for
 * POSTs that move no value).
 */

const KEY_RE = /^[\x21-\x7e]{1,200}$/;

export interface StoredAnswer {
  requestHash: Buffer;
  status: number;
  body: unknown;
}

export interface IdempotencySlot {
  tenantId: string;
  scope: string;
  key: string;
}

/**
 * Validates an Idempotency-Key header; `required` on POSTs that move value.
 * An empty header is an absent one: optional, it gives undefined, and the
 * caller must treat the request as carrying no key.
 */
export function idempotencyKey(raw: string | undefined, required: true): string;
export function idempotencyKey(raw: string | undefined, required: false): string | undefined;
export function idempotencyKey(raw: string | undefined, required: boolean): string | undefined {
  if (raw === undefined || raw === '') {
    if (required) throw new BadInput('Idempotency-Key header is required', [{ field: 'Idempotency-Key', messages: ['this request moves value and needs an Idempotency-Key header'] }]);
    return undefined;
  }
  if (!KEY_RE.test(raw)) throw new BadInput('Idempotency-Key is malformed', [{ field: 'Idempotency-Key', messages: ['1 to 200 printable ASCII characters'] }]);
  return raw;
}

export const requestHash = (scope: string, body: unknown) => sha256(canonicalJson({ scope, body }));

export const slotKey = (s: IdempotencySlot) => `${s.tenantId}|${s.scope}|${s.key}`;

export const reusedKey = () => new Conflict('this Idempotency-Key was used with a different request', 'idempotency-key-reused');

/** The stored answer for a replay, or a 409 when the key came with another request. */
export function replay(stored: StoredAnswer, hash: Buffer): { status: number; body: unknown } {
  if (!stored.requestHash.equals(hash)) throw reusedKey();
  return { status: stored.status, body: stored.body };
}

/**
 * Twins in this process: the second waits until the first is done, then
 * looks again (and finds the first one's answer). Keyed by slot.
 */
export class InFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  /** Waits until no work holds `slot`, then holds it until `work` settles. */
  async run<T>(slot: string, work: () => Promise<T>): Promise<T> {
    for (let earlier = this.running.get(slot); earlier; earlier = this.running.get(slot)) await earlier.catch(() => undefined);
    const p = work();
    this.running.set(slot, p);
    try {
      return await p;
    } finally {
      if (this.running.get(slot) === p) this.running.delete(slot);
    }
  }
}

@Injectable()
export class IdempotencyStore {
  /** One per process: every path's twins wait on the same slots. */
  readonly inFlight = new InFlight();

  constructor(private readonly dataSource: DataSource) {}

  /** The answers stored for these slots (in `m`'s transaction if given), by slotKey. */
  async findMany(m: EntityManager | undefined, slots: IdempotencySlot[]): Promise<Map<string, StoredAnswer>> {
    const out = new Map<string, StoredAnswer>();
    if (!slots.length) return out;
    // Not a named statement, so it is planned each time with the table's current size.
    // The table grows with every value-moving request: as a named statement, after five
    // runs on an empty table, its generic plan hashed a sequential scan of all 20,000
    // rows once they were there, where a custom plan probes the primary key.
    const rows: { tenant_id: string; scope: string; key: string; request_hash: Buffer; status_code: number; response: unknown }[] = await (m ?? this.dataSource.manager).query(
      `SELECT i.tenant_id, i.scope, i.key, i.request_hash, i.status_code, i.response
         FROM idempotency_keys i
         JOIN unnest($1::uuid[], $2::varchar[], $3::varchar[]) AS k(tenant_id, scope, key)
           ON i.tenant_id = k.tenant_id AND i.scope = k.scope AND i.key = k.key`,
      [slots.map((k) => k.tenantId), slots.map((k) => k.scope), slots.map((k) => k.key)],
    );
    for (const r of rows) out.set(slotKey({ tenantId: r.tenant_id, scope: r.scope, key: r.key }), { requestHash: r.request_hash, status: r.status_code, body: r.response });
    return out;
  }

  async find(m: EntityManager | undefined, slot: IdempotencySlot): Promise<StoredAnswer | null> {
    return (await this.findMany(m, [slot])).get(slotKey(slot)) ?? null;
  }

  /**
   * Keeps an answer. `ifAbsent`: a twin in another process that stored first
   * wins quietly; otherwise the primary key refuses the second (a unique
   * violation the caller turns into a replay).
   */
  async save(m: EntityManager | undefined, slot: IdempotencySlot, hash: Buffer, answer: { status: number; body: unknown }, ifAbsent = false): Promise<void> {
    await (m ?? this.dataSource.manager).query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, status_code, response) VALUES ($1, $2, $3, $4, $5, $6)${ifAbsent ? ' ON CONFLICT DO NOTHING' : ''}`,
      [slot.tenantId, slot.scope, slot.key, hash, answer.status, JSON.stringify(answer.body ?? null)],
    );
  }
}
