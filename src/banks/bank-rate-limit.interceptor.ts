import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, UseInterceptors } from '@nestjs/common';
import { ApiResponse, type ApiResponseOptions } from '@nestjs/swagger';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import type { KeyPrincipal } from '../auth/principal';
import { BANK_BURST, BANK_PER_SECOND, RateLimiter } from './rate-limit';

/** The headers every bank read answers with, so a bank's system can pace itself (IETF RateLimit fields). */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': { description: 'Requests at once a key may make', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left now; at 0 the next is 429 with Retry-After', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the key has its whole limit again', schema: { type: 'integer' } },
} as const;

/**
 * The bank API's rate limit (60 at once per key, 2 more a second, shared by every
 * instance): a token taken before the handler runs, the key's state in the
 * answer's `RateLimit-*` headers, 429 with Retry-After once it is spent.
 */
@Injectable()
export class BankRateLimitInterceptor implements NestInterceptor {
  private readonly limiter: RateLimiter;

  constructor(dataSource: DataSource) {
    this.limiter = new RateLimiter(dataSource, BANK_BURST, BANK_PER_SECOND);
  }

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = ctx.switchToHttp();
    const p = http.getRequest<{ principal: KeyPrincipal }>().principal;
    const state = await this.limiter.take(p.keyId);
    const res = http.getResponse<Response>();
    res.setHeader('RateLimit-Limit', String(state.limit));
    res.setHeader('RateLimit-Remaining', String(state.remaining));
    res.setHeader('RateLimit-Reset', String(state.resetSeconds));
    return next.handle();
  }
}

/** A bank read: rate-limited, its success answer documented with the RateLimit headers. */
export const BankRead = (response: ApiResponseOptions & { status: number }) =>
  applyDecorators(UseInterceptors(BankRateLimitInterceptor), ApiResponse({ ...response, headers: { ...RATE_LIMIT_HEADERS, ...(response.headers ?? {}) } } as ApiResponseOptions));
