import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { IdempotencyStore, idempotencyKey, replay, requestHash, slotKey } from '../idempotency/idempotency';

export { idempotencyKey, requestHash };

/** The Idempotency-Key a value-moving route requires (400 when it is absent or malformed). */
export const requiredIdempotencyKey = (raw: string | undefined): string => idempotencyKey(raw, true);

/** Sends a command's answer (first run or replay) with its own status. */
export function sendAnswer(res: Response, a: { status: number; body: unknown }): void {
  res.status(a.status).json(a.body);
}

const IDEMPOTENCY_META = 'jifen:idempotency';
interface IdempotencyRule {
  /** The handler stores its answer itself, in the same DB transaction as its effect (ledger postings). */
  own?: boolean;
  /** Fields left out of the stored answer (secrets shown once). */
  redact?: string[];
}
export const IdempotencyHandledByService = () => SetMetadata(IDEMPOTENCY_META, { own: true } satisfies IdempotencyRule);
/** The interceptor leaves it alone (the CSV import streams a body it cannot hash up front). */
export const IdempotencyNotOffered = () => SetMetadata(IDEMPOTENCY_META, { own: true } satisfies IdempotencyRule);
export const IdempotentRedacting = (...fields: string[]) => SetMetadata(IDEMPOTENCY_META, { redact: fields } satisfies IdempotencyRule);

/**
 * `Idempotency-Key` on any other tenant POST, through the one mechanism
 * (IdempotencyStore): a replay gets the first answer, the key with another
 * body gets 409, and a twin arriving while the first runs waits for it. These
 * POSTs move no value, so the answer is kept after the handler, not with its
 * effect; value-moving endpoints keep it inside their own DB transaction
 * (IdempotencyHandledByService).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: IdempotencyStore,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request & { principal?: { kind: string; tenantId?: string } }>();
    const raw = req.headers['idempotency-key'];
    // Most requests stop here, synchronously. The platform admin has no tenant
    // to keep answers under; its POSTs (tenants, regions) answer 409 to a repeat.
    if (req.method !== 'POST' || raw === undefined || req.principal?.kind !== 'key') return next.handle();
    const rule = this.reflector.get<IdempotencyRule | undefined>(IDEMPOTENCY_META, ctx.getHandler());
    if (rule?.own) return next.handle();
    const key = idempotencyKey(Array.isArray(raw) ? raw[0] : raw, false);
    if (key === undefined) return next.handle(); // an empty header is no key (it once reached the store as NULL: a 500 after the effect)
    const slot = { tenantId: req.principal.tenantId!, scope: `POST ${req.path}`, key };
    const hash = requestHash(slot.scope, req.body);
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? 201;
    return from(
      this.store.inFlight.run(slotKey(slot), async () => {
        const stored = await this.store.find(undefined, slot);
        if (stored) {
          const answer = replay(stored, hash);
          ctx.switchToHttp().getResponse<Response>().status(answer.status);
          return answer.body;
        }
        const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
        // Only answers that got through are kept.
        const kept = body && typeof body === 'object' && rule?.redact ? Object.fromEntries(Object.entries(body).filter(([k]) => !rule.redact!.includes(k))) : body;
        await this.store.save(undefined, slot, hash, { status, body: kept }, true);
        return body;
      }),
    );
  }
}
