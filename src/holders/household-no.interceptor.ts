import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/principal';
import { BadInput, NotFound } from '../platform/http/app-error';
import { HOUSEHOLD_NO_RE, HoldersService } from './holders.service';

/** The body fields that hold a holder reference, in every route that takes one. */
const REF_FIELDS = ['holder', 'requester', 'from', 'to'] as const;

/**
 * `{ "type": "household", "no": "500154101001-0023" }` is accepted wherever
 * `{ type, id }` is (API.md): before validation, a reference by 户号 is
 * replaced by the household's id in the caller's tenant, so every service sees
 * one form. Scope is then checked by the service as for an id: a household of
 * another village is 404 either way. A number that names nothing is 404; a
 * reference with both `id` and `no` is 400.
 */
@Injectable()
export class HouseholdNoInterceptor implements NestInterceptor {
  constructor(private readonly holders: HoldersService) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const body: unknown = req.body;
    if (body && typeof body === 'object' && !Array.isArray(body) && req.principal?.kind === 'key') {
      for (const field of REF_FIELDS) {
        const ref: unknown = Object.prototype.hasOwnProperty.call(body, field) ? (body as Record<string, unknown>)[field] : undefined;
        if (!ref || typeof ref !== 'object' || Array.isArray(ref) || !Object.prototype.hasOwnProperty.call(ref, 'no')) continue;
        const r = ref as Record<string, unknown>;
        const problem = (msg: string) => new BadInput(msg, [{ field: `${field}.no`, messages: [msg] }]);
        if (r.type !== 'household') throw problem(`${field}.no is a household number: use it with "type": "household"`);
        if ('id' in r) throw problem(`${field}: give id or no, not both`);
        if (typeof r.no !== 'string' || !HOUSEHOLD_NO_RE.test(r.no)) throw problem(`${field}.no must be a household number such as 500154101001-0023`);
        const id = await this.holders.idOfNumber(req.principal.tenantId, r.no);
        if (!id) throw new NotFound(`household ${r.no}`);
        (body as Record<string, unknown>)[field] = { type: 'household', id };
      }
    }
    return next.handle();
  }
}
