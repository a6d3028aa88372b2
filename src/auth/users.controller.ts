import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { IdempotencyNotOffered, IdempotentRedacting } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { Access, CurrentPrincipal, Public } from './access.decorator';
import { ConsoleSessions } from './console-session.service';
import { ROLES, type Principal } from './principal';
import { ChangePasswordDto, CreateUserDto, InitialPasswordView, ListUsersQuery, SessionOpened, SignInUserDto, USER_ROLES, UserCreated, UserView, UsersPage } from './users.dto';
import { UsersService } from './users.service';

/** The bearer token of a request, or the one its console cookie holds. */
const presentedToken = (req: Request, sessions: ConsoleSessions): string | null =>
  /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? sessions.token(req);

@ApiTags('people')
@Controller('v1')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: ConsoleSessions,
  ) {}

  /** A person who signs in with a phone number; the initial password is in this response only and must be changed at the first sign-in. */
  @Post('users')
  @HttpCode(201)
  @Access({ platform: true, roles: ['admin'] })
  @IdempotentRedacting('initialPassword')
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateUserDto): Promise<UserCreated> {
    return this.users.create(p, dto);
  }

  /** The tenant's users (phones masked), with when each last signed in and whether it is disabled. */
  @Get('users')
  @Access({ platform: true, roles: ['admin', 'auditor'] })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListUsersQuery): Promise<UsersPage> {
    return this.users.list(p, q);
  }

  /** The user can no longer sign in; its sessions end now. */
  @Post('users/:id/disable')
  @HttpCode(200)
  @Access({ platform: true, roles: ['admin'] })
  disable(@CurrentPrincipal() p: Principal, @Param('id', IdParam) id: string): Promise<UserView> {
    return this.users.setDisabled(p, id, true);
  }

  /** Enables a disabled user again (admin). */
  @Post('users/:id/enable')
  @HttpCode(200)
  @Access({ platform: true, roles: ['admin'] })
  enable(@CurrentPrincipal() p: Principal, @Param('id', IdParam) id: string): Promise<UserView> {
    return this.users.setDisabled(p, id, false);
  }

  /** A new initial password, shown once; the user's sessions end. */
  @Post('users/:id/reset-password')
  @HttpCode(200)
  @Access({ platform: true, roles: ['admin'] })
  @IdempotentRedacting('initialPassword')
  resetPassword(@CurrentPrincipal() p: Principal, @Param('id', IdParam) id: string): Promise<InitialPasswordView> {
    return this.users.resetPassword(p, id);
  }

  /**
   * Sign in with phone and password: a bearer token, and the same session in
   * an HttpOnly, SameSite=Strict cookie for the console. A wrong password and an
   * unknown phone get the same 401; the fifth failure in 15 minutes is 429.
   */
  @Post('sessions')
  @HttpCode(201)
  @Public()
  @IdempotencyNotOffered()
  async signIn(@Body() dto: SignInUserDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionOpened> {
    const opened = await this.users.signIn(dto.phone, dto.password);
    this.sessions.open(res, opened.token, req.secure);
    return opened;
  }

  /** Sign out: the session (bearer token or cookie) ends. */
  @Delete('sessions/current')
  @HttpCode(204)
  @Access({ platform: true, roles: ROLES, beforePasswordChange: true })
  async signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.users.endSession(presentedToken(req, this.sessions));
    this.sessions.close(res);
  }

  /** Who is signed in (or whose key this is): name, role, scope and its name. */
  @Get('me')
  @Access({ platform: true, roles: ROLES, beforePasswordChange: true })
  me(@CurrentPrincipal() p: Principal) {
    return this.users.me(p);
  }

  /** Change the password (at least 8 characters, not containing the phone number); the user's other sessions end. */
  @Put('me/password')
  @HttpCode(204)
  @Access({ roles: USER_ROLES, beforePasswordChange: true })
  async changePassword(@CurrentPrincipal() p: Principal, @Body() dto: ChangePasswordDto, @Req() req: Request): Promise<void> {
    await this.users.changePassword(p, dto, presentedToken(req, this.sessions));
  }
}
