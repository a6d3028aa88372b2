import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'crypto';
import type { Request, Response } from 'express';
import { AppConfig } from '../platform/config/app-config';
import { PiiCipher } from '../platform/crypto/pii';

export const SESSION_COOKIE = 'jifen_session';
export const CSRF_COOKIE = 'jifen_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_HOURS = 12;

/** Cookies of a request, parsed (no dependency needed for `a=b; c=d`). */
export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/**
 * The console's session: the user's session token (or, for an admin, the API
 * key signed in with), encrypted with the PII key (AES-GCM) into an HttpOnly,
 * SameSite=Strict cookie that expires after 12 hours at most, so the browser's
 * script never holds it. A user's session also lapses on the server after 12
 * hours without use, and ends on sign-out or a password reset. Requests that
 * change state must also echo the CSRF cookie in the X-CSRF-Token header
 * (double submit): a page on another site can neither read that cookie nor set
 * the header.
 */
@Injectable()
export class ConsoleSessions {
  private readonly cipher: PiiCipher;

  constructor(config: AppConfig) {
    this.cipher = new PiiCipher(config.piiKey);
  }

  open(res: Response, token: string, secure: boolean): void {
    const expires = Date.now() + SESSION_HOURS * 3600_000;
    const sealed = this.cipher.encrypt(JSON.stringify({ k: token, e: expires })).toString('base64url');
    const common = { sameSite: 'strict' as const, secure, path: '/', maxAge: SESSION_HOURS * 3600_000 };
    res.cookie(SESSION_COOKIE, sealed, { ...common, httpOnly: true });
    res.cookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), { ...common, httpOnly: false });
  }

  close(res: Response): void {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.clearCookie(CSRF_COOKIE, { path: '/' });
  }

  /** The token (session token or API key) of a valid session cookie, or null. */
  token(req: Request): string | null {
    const sealed = cookies(req)[SESSION_COOKIE];
    if (!sealed) return null;
    try {
      const { k, e } = JSON.parse(this.cipher.decrypt(Buffer.from(sealed, 'base64url')));
      return typeof k === 'string' && typeof e === 'number' && e > Date.now() ? k : null;
    } catch {
      return null;
    }
  }

  /** Safe methods pass; others need the header to match the cookie. */
  csrfOk(req: Request): boolean {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return true;
    const cookie = cookies(req)[CSRF_COOKIE];
    const header = req.headers[CSRF_HEADER];
    if (!cookie || typeof header !== 'string' || cookie.length !== header.length) return false;
    return timingSafeEqual(Buffer.from(cookie), Buffer.from(header));
  }
}
