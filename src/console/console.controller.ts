import { Body, Controller, Get, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/access.decorator';
import { ApiKeysService } from '../auth/api-keys.service';
import { Unauthorized } from '../platform/http/app-error';
import { ConsoleSessions } from '../auth/console-session.service';
import { SignInDto } from './console.dto';
import { CONSOLE_HTML } from './console.page';

/**
 * The console (/console) for clerks, reviewers, organizers, shopkeepers and
 * admins: one page, in Chinese, that calls the same HTTP API with the same
 * roles and scopes. Signing in turns an API key into a session cookie; there is
 * no other back door.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly sessions: ConsoleSessions,
  ) {}

  @Get()
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
  @Header('X-Frame-Options', 'DENY')
  page(): string {
    return CONSOLE_HTML;
  }

  /** Sign in with an API key: answers who that is; the key goes into an HttpOnly cookie. */
  @Post('session')
  @Public()
  @HttpCode(200)
  async signIn(@Body() dto: SignInDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const p = await this.keys.verify(dto.apiKey);
    if (!p || p.kind !== 'key') throw new Unauthorized('这个密钥无效或已被吊销');
    this.sessions.open(res, dto.apiKey, req.secure);
    return { role: p.role, scopeRegionCode: p.scopeRegionCode, shopId: p.shopId, bankId: p.bankId, tenantId: p.tenantId };
  }

  /** Who the current session is (the page asks on load). */
  @Get('session')
  @Public()
  async who(@Req() req: Request) {
    const key = this.sessions.apiKey(req);
    const p = key ? await this.keys.verify(key) : null;
    if (!p || p.kind !== 'key') throw new Unauthorized('请先登录');
    return { role: p.role, scopeRegionCode: p.scopeRegionCode, shopId: p.shopId, bankId: p.bankId, tenantId: p.tenantId };
  }

  @Post('session/logout')
  @Public()
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) res: Response): void {
    this.sessions.close(res);
  }
}
