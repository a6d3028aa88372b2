import { Body, CallHandler, Controller, Delete, ExecutionContext, Get, HttpCode, Injectable, NestInterceptor, Param, PayloadTooLargeException, Post, Req, Res, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { FilesInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { catchError, Observable, throwError } from 'rxjs';
import { Public } from '../auth/access.decorator';
import { MAX_PHOTO_BYTES } from '../evidence/evidence.service';
import { Unprocessable } from '../platform/http/app-error';
import { IdempotencyNotOffered } from '../platform/http/idempotency';
import { householdPageHtml } from './household-page.html';
import { HOUSEHOLD_COOKIE, HouseholdPageService, SESSION_MINUTES } from './household-page.service';
import { ClaimDto, ClaimEnteredView, HouseholdHistoryView, HouseholdPageView, HouseholdPinDto, HouseholdSessionView } from './villagers.dto';
import { ApiJsonOrHtml } from '../platform/http/openapi-responses';

const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A photo over 5 MB, cut off by the multipart parser, is the claim's 422 like any other refused photo. */
@Injectable()
export class PhotoTooLarge implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((e) => throwError(() => (e instanceof PayloadTooLargeException ? new Unprocessable('照片不能超过 5 MB', 'photo-too-large') : e))),
    );
  }
}

/**
 * The villagers' own page: what the door card's QR code opens (`/h/{token}`),
 * the household's PIN session, its details and its claims. Nothing here takes
 * a household id: the card's token names the household, and the session
 * cookie only opens the household it was opened for.
 */
@ApiTags('villagers')
@Controller('h')
export class HouseholdPageController {
  constructor(private readonly page: HouseholdPageService) {}

  /** The household's points, this month's net and rank in the village, and the rules; HTML, or JSON with `Accept: application/json`. Cacheable for a minute. */
  @Get(':token')
  @Public()
  @ApiJsonOrHtml(HouseholdPageView, 'A page in large type for the phone, or JSON with `Accept: application/json`.')
  async show(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const view = await this.page.page(token);
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.setHeader('Vary', 'Accept');
    if (/application\/json/.test(req.headers.accept ?? '')) return void res.json(view);
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(householdPageHtml(view));
  }

  /** The household's PIN opens its details for 30 minutes (an HttpOnly cookie for this page only). Five wrong PINs here or at a shop lock both for 15 minutes (429). */
  @Post(':token/session')
  @Public()
  @HttpCode(200)
  @IdempotencyNotOffered()
  async open(@Param('token') token: string, @Body() dto: HouseholdPinDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<HouseholdSessionView> {
    const { cookie, expiresAt } = await this.page.openSession(token, dto.pin);
    res.setHeader('Cache-Control', 'no-store');
    res.cookie(HOUSEHOLD_COOKIE, cookie, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure || req.headers['x-forwarded-proto'] === 'https',
      path: `/h/${token}`,
      maxAge: SESSION_MINUTES * 60_000,
    });
    return { expiresAt: expiresAt.toISOString() };
  }

  /** Locks the details again. */
  @Delete(':token/session')
  @Public()
  @HttpCode(204)
  async close(@Param('token') token: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.page.household(token);
    await this.page.closeSession(req);
    res.clearCookie(HOUSEHOLD_COOKIE, { path: `/h/${token}` });
  }

  /** With the PIN session: entries and records (status, notice end, a rejection's reason), what may be redeemed after the floor, active sanctions and what lifts them. */
  @Get(':token/history')
  @Public()
  async history(@Param('token') token: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<HouseholdHistoryView> {
    res.setHeader('Cache-Control', 'no-store');
    return this.page.history(token, req);
  }

  /** With the PIN session: a good deed claimed (申报), with up to 3 photos (JPEG or PNG, 5 MB each), entered for the village's review. */
  @Post(':token/claims')
  @Public()
  @IdempotencyNotOffered()
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['ruleCode', 'occurredOn'],
      properties: {
        ruleCode: { type: 'string' },
        occurredOn: { type: 'string', format: 'date' },
        note: { type: 'string', maxLength: 500 },
        photos: { type: 'array', maxItems: 3, items: { type: 'string', format: 'binary' } },
      },
    },
  })
  @UseInterceptors(PhotoTooLarge, FilesInterceptor('photos', 3, { limits: { fileSize: MAX_PHOTO_BYTES, files: 3, fields: 10, fieldSize: 4096, parts: 16 } }))
  async claim(@Param('token') token: string, @Req() req: Request, @Body() dto: ClaimDto, @UploadedFiles() files: { buffer: Buffer; originalname?: string }[] | undefined): Promise<ClaimEnteredView> {
    return this.page.claim(token, req, dto, (files ?? []).map((f) => ({ bytes: f.buffer, name: f.originalname })));
  }
}
