import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { from, Observable, of } from 'rxjs';
import { finalize, mergeMap } from 'rxjs/operators';
import { DataSource } from 'typeorm';
import { canonicalJson } from '../util/canonical-json';
import { sha256 } from '../util/sha256';
import { BadInput, Conflict } from './app-error';

const KEY_RE = /^[\x21-\x7e]{1,200}$/;

/** Validates an Idempotency-Key header; `required` on POSTs that move value. */
export function idempotencyKey(raw: string | undefined, required: boolean): string | undefined {
  if (raw === undefined || raw === '') {
    if (required) throw new BadInput('Idempotency-Key header is required', [{ field: 'Idempotency-Key', messages: ['this request moves value and needs an Idempotency-Key header'] }]);
    return undefined;
  }
  if (!KEY_RE.test(raw)) throw new BadInput('Idempotency-Key is malformed', [{ field: 'Idempotency-Key', messages: ['1 to 200 printable ASCII characters'] }]);
  return raw;
}

export const requestHash = (scope: string, body: unknown) => sha256(canonicalJson({ scope, body }));

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
 * `Idempotency-Key` on any other tenant POST: the first answer is stored with a
 * hash of the request; a replay gets it back, the key with another body gets
 * 409, and a twin arriving while the first runs waits for it. Value-moving
 * endpoints do this inside their own DB transaction instead (IdempotencyHandledByService).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly reflector: Reflector,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request & { principal?: { kind: string; tenantId?: string } }>();
    const raw = req.headers['idempotency-key'];
    // Most requests stop here, synchronously. The platform admin has no tenant
    // to keep answers under; its POSTs (tenants, regions) answer 409 to a repeat.
    if (req.method !== 'POST' || raw === undefined || req.principal?.kind !== 'key') return next.handle();
    const rule = this.reflector.get<IdempotencyRule | undefined>(IDEMPOTENCY_META, ctx.getHandler());
    if (rule?.own) return next.handle();
    const key = idempotencyKey(Array.isArray(raw) ? raw[0] : raw, false)!;
    const tenantId = req.principal.tenantId!;
    const scope = `POST ${req.path}`;
    const hash = requestHash(scope, req.body);
    const slot = `${tenantId}|${scope}|${key}`;
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? 201;

    // Claims the key's slot in this process (twins wait for the holder), then
    // looks for a stored answer. Check and claim run with no await between them.
    const claim = async () => {
      for (let earlier = this.inFlight.get(slot); earlier; earlier = this.inFlight.get(slot)) await earlier.catch(() => undefined);
      let done!: () => void;
      this.inFlight.set(slot, new Promise<void>((r) => (done = r)));
      const release = () => {
        this.inFlight.delete(slot);
        done();
      };
      try {
        const [stored] = await this.dataSource.query(
          `SELECT request_hash, status_code, response FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3`,
          [tenantId, scope, key],
        );
        if (stored && !(stored.request_hash as Buffer).equals(hash)) {
          throw new Conflict('this Idempotency-Key was used with a different request', 'idempotency-key-reused');
        }
        if (stored) release();
        return { stored: stored as { status_code: number; response: unknown } | undefined, release };
      } catch (e) {
        release();
        throw e;
      }
    };
    const keep = async (body: unknown) => {
      const kept = body && typeof body === 'object' && rule?.redact ? Object.fromEntries(Object.entries(body).filter(([k]) => !rule.redact!.includes(k))) : body;
      await this.dataSource.query(
        `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, status_code, response) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING`,
        [tenantId, scope, key, hash, status, JSON.stringify(kept ?? null)],
      );
      return body;
    };
    return from(claim()).pipe(
      mergeMap(({ stored, release }) => {
        if (stored) {
          ctx.switchToHttp().getResponse<Response>().status(stored.status_code);
          return of(stored.response);
        }
        // Only answers that got through are kept; the slot is freed either way.
        return next.handle().pipe(
          mergeMap((body) => from(keep(body))),
          finalize(release),
        );
      }),
    );
  }
}
