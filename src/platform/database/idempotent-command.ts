import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Conflict } from '../http/app-error';
import { requestHash } from '../http/idempotency';
import { pgCode, pgConstraint, PG } from './pg-errors';
import { UnitOfWork } from './unit-of-work';

export interface CommandAnswer {
  status: number;
  body: unknown;
}

/**
 * Value-moving commands outside the ledger's own batch path (redemptions,
 * donations, settlements) run here: the effect and the stored answer for its
 * Idempotency-Key commit in one DB transaction. A replay gets the stored status
 * and body; the key with another body gets 409. Two twins sent at once both
 * run, but the second's insert of the key waits for the first to commit and
 * then fails on the unique key, which rolls its effect back; it then answers
 * with the first one's stored answer. Refusals (errors) are not stored.
 */
@Injectable()
export class IdempotentCommands {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  async run(tenantId: string, scope: string, key: string, request: unknown, status: number, work: (m: EntityManager) => Promise<unknown>): Promise<CommandAnswer> {
    const hash = requestHash(scope, request);
    for (let attempt = 0; ; attempt++) {
      const [stored] = await this.dataSource.query(
        `SELECT request_hash, status_code, response FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3`,
        [tenantId, scope, key],
      );
      if (stored) {
        if (!(stored.request_hash as Buffer).equals(hash)) throw new Conflict('this Idempotency-Key was used with a different request', 'idempotency-key-reused');
        return { status: stored.status_code, body: stored.response };
      }
      try {
        return await this.uow.run(async (m) => {
          const body = await work(m);
          await m.query(
            `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, status_code, response) VALUES ($1, $2, $3, $4, $5, $6)`,
            [tenantId, scope, key, hash, status, JSON.stringify(body ?? null)],
          );
          return { status, body };
        });
      } catch (e) {
        // A twin committed first: look again and answer as it did.
        if (pgCode(e) !== PG.uniqueViolation || !pgConstraint(e)?.startsWith('idempotency_keys') || attempt >= 2) throw e;
      }
    }
  }
}
