import { Body, Controller, Get, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/access.decorator';
import { ApiKeysService } from '../auth/api-keys.service';
import { Forbidden, Unauthorized } from '../platform/http/app-error';
import { UsersService } from '../auth/users.service';
import { ConsoleSessions } from '../auth/console-session.service';
import { SignInDto } from './console.dto';
import { CONSOLE_HTML } from './console.page';
import { readFileSync } from 'fs';

const JSQR_SOURCE = readFileSync(require.resolve('jsqr/dist/jsQR.js'), 'utf8');

/**
 * The console (/console) for clerks, reviewers, organizers, shopkeepers and
 * admins: one page, in Chinese, that calls the same HTTP API with the same
 * roles and scopes. People sign in with phone and password (POST /v1/sessions);
 * a county admin may also sign in with its key. Either becomes an HttpOnly session
 * cookie; there is no other back door.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly users: UsersService,
    private readonly sessions: ConsoleSessions,
  ) {}

  @Get()
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'")
  @Header('X-Frame-Options', 'DENY')
  page(): string {
    return CONSOLE_HTML;
  }

  /** The QR decoder the console falls back on where the browser has no BarcodeDetector (jsQR, served from the installed package). */
  @Get('jsqr.js')
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  jsqr(): string {
    return JSQR_SOURCE;
  }

  /**
   * Sign in with an API key: for a county's admin key only (people sign in
   * with phone and password, POST /v1/sessions; keys of other roles belong to
   * machines). The key goes into an HttpOnly cookie.
   */
  @Post('session')
  @Public()
  @HttpCode(200)
  async signIn(@Body() dto: SignInDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const p = await this.keys.verify(dto.apiKey);
    if (!p || p.kind !== 'key') throw new Unauthorized('这个密钥无效或已被吊销');
    if (p.role !== 'admin') throw new Forbidden('请用手机号和密码登录（密钥只给管理员和机器使用）', 'use-phone-sign-in');
    this.sessions.open(res, dto.apiKey, req.secure);
    return this.users.me(p);
  }

  /** Who the current session is (the page asks on load): name, role, scope and its name, and whether the password must change first. */
  @Get('session')
  @Public()
  async who(@Req() req: Request) {
    const token = this.sessions.token(req);
    const p = token ? await this.users.tenantPrincipal(token) : null;
    if (!p) throw new Unauthorized('请先登录');
    return this.users.me(p);
  }

  @Post('session/logout')
  @Public()
  @HttpCode(204)
  async signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.users.endSession(this.sessions.token(req));
    this.sessions.close(res);
  }
}
