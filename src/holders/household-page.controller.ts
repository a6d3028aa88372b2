import { Controller, Get, Header, Param, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/access.decorator';
import { NotFound } from '../platform/http/app-error';
import { escapeHtml } from '../platform/util/public-page';
import { TenancyService } from '../tenancy/tenancy.service';
import { HoldersService } from './holders.service';

const PAGE_CSS = `body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;padding:1.5rem 1rem;color:#111;background:#fff;font-size:1.35rem;line-height:1.6}
h1{font-size:1.8rem;margin:0 0 .5rem;color:#b22}p{margin:.4rem 0}.no{font-size:1.6rem;font-weight:bold;letter-spacing:.05rem}`;

/**
 * GET /h/{token}: what a door card's QR code opens. For now it names the
 * household's number and village, nothing more (the villagers' own page is
 * built on it later). The token is random (192 bits), so the page cannot be
 * used to walk through households; an unknown or rotated token is 404.
 */
@ApiTags('holders')
@Controller('h')
export class HouseholdPageController {
  constructor(
    private readonly holders: HoldersService,
    private readonly tenancy: TenancyService,
  ) {}

  /** The household a door card names: its 户号, its village, the head's masked name. HTML, or JSON with `Accept: application/json`. */
  @Get(':token')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  async page(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    const h = await this.holders.byCardToken(token);
    if (!h) throw new NotFound('这张户卡无效或已更换，请向村里索取新卡');
    const village = await this.tenancy.findRegion(h.tenantId, h.villageCode);
    const view = { no: h.no, villageCode: h.villageCode, villageName: village?.name ?? h.villageCode, headName: h.headName };
    if (/application\/json/.test(req.headers.accept ?? '')) return void res.json(view);
    res.type('html').send(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(view.villageName)} 户号 ${escapeHtml(view.no)}</title><style>${PAGE_CSS}</style></head><body>
<h1>${escapeHtml(view.villageName)}</h1>
<p class="no">户号 ${escapeHtml(view.no)}</p>
<p>户主 ${escapeHtml(view.headName)}</p>
<p>兑换积分时请出示户卡，由店主扫码。</p>
</body></html>`);
  }
}
