import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { IdempotencyStore, replay, requestHash, slotKey } from '../idempotency/idempotency';
import { pgCode, pgConstraint, PG } from './pg-errors';
import { UnitOfWork } from './unit-of-work';

export interface CommandAnswer {
  status: number;
  body: unknown;
}

/**
 * Value-moving commands outside the ledger's own batch path (redemptions,
 * donations, settlements) run here, through the one idempotency mechanism
 * (IdempotencyStore): the effect and the stored answer for its Idempotency-Key
 * commit in one DB transaction. A replay gets the stored status and body; the
 * key with another body gets 409. A twin in this process waits for the first;
 * one in another process runs, but its insert of the key waits for the first to
 * commit and then fails on the unique key, which rolls its effect back, and it
 * answers with the first one's stored answer. Refusals (errors) are not stored.
 */
@Injectable()
export class IdempotentCommands {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly uow: UnitOfWork,
  ) {}

  run(tenantId: string, scope: string, key: string, request: unknown, status: number, work: (m: EntityManager) => Promise<unknown>): Promise<CommandAnswer> {
    const slot = { tenantId, scope, key };
    const hash = requestHash(scope, request);
    return this.store.inFlight.run(slotKey(slot), async () => {
      for (let attempt = 0; ; attempt++) {
        const stored = await this.store.find(undefined, slot);
        if (stored) return replay(stored, hash);
        try {
          return await this.uow.run(async (m) => {
            const body = await work(m);
            await this.store.save(m, slot, hash, { status, body });
            return { status, body };
          });
        } catch (e) {
          // A twin in another process committed first: look again and answer as it did.
          if (pgCode(e) !== PG.uniqueViolation || !pgConstraint(e)?.startsWith('idempotency_keys') || attempt >= 2) throw e;
        }
      }
    });
  }
}
