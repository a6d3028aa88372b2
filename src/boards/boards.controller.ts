import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access, CurrentPrincipal, Public } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { GradesService } from '../grades/grades.service';
import { NotFound } from '../platform/http/app-error';
import { IdParam } from '../platform/http/validation';
import { printablePage, anchorSmallPrint } from '../platform/util/public-page';
import { BoardPublishedView, BoardsQuery, BoardsView, BoardView, CreateBoardDto, ParticipationQuery, ParticipationView, PublicBoardView } from './boards.dto';
import { PublicGradesView } from '../grades/grades.dto';
import { ApiJsonOrHtml } from '../platform/http/openapi-responses';
import { BoardsService } from './boards.service';

const wantsHtml = (req: Request) => /text\/html/.test(req.headers.accept ?? '') && !/application\/json/.test(req.headers.accept ?? '');

@ApiTags('boards')
@Controller()
export class BoardsController {
  constructor(
    private readonly boards: BoardsService,
    private readonly grades: GradesService,
  ) {}

  /** Computes (or recomputes) the draft red/black board of a village for a month or quarter. */
  @Post('v1/boards')
  @HttpCode(201)
  @Access({ roles: ['admin', 'reviewer'] })
  create(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateBoardDto): Promise<BoardView> {
    return this.boards.compute(p, dto.villageCode, dto.period, dto.size);
  }

  /** Boards (红黑榜) in scope, drafts and published. */
  @Get('v1/boards')
  @Access({ roles: ['admin', 'auditor', 'clerk', 'reviewer'] })
  list(@CurrentPrincipal() p: KeyPrincipal, @Query() q: BoardsQuery): Promise<BoardsView> {
    return this.boards.list(p, q.villageCode);
  }

  /** Per village: households, active households, participation rate, points issued and redeemed, claims made and approved in a month; lowest rate first. */
  @Get('v1/reports/participation')
  @Access({ roles: ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'] })
  participation(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ParticipationQuery): Promise<ParticipationView> {
    return this.boards.participation(p, q.regionCode, q.period);
  }

  /** A board with its red and black lists. */
  @Get('v1/boards/:id')
  @Access({ roles: ['admin', 'auditor', 'clerk', 'reviewer'] })
  get(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<BoardView> {
    return this.boards.get(p, id);
  }

  /** 张榜: the board is frozen and public from now on. */
  @Post('v1/boards/:id/publish')
  @HttpCode(200)
  @Access({ roles: ['admin', 'reviewer'] })
  publish(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<BoardPublishedView> {
    return this.boards.publish(p, id);
  }

  /** The published board, names masked; `Accept: text/html` gets a printable page. 404 until published. */
  @Get('public/boards/:villageCode/:period')
  @Public()
  @ApiJsonOrHtml(PublicBoardView, 'The board (JSON), or a printable page for `Accept: text/html`.')
  @Header('Cache-Control', 'public, max-age=60')
  async publicBoard(@Param('villageCode') villageCode: string, @Param('period') period: string, @Req() req: Request, @Res() res: Response) {
    const b = await this.boards.publicBoard(villageCode, period);
    if (!b) throw new NotFound('no published board for this village and period');
    if (!wantsHtml(req)) return void res.json(b);
    res.type('html').send(
      printablePage(
        `${b.villageName} ${b.periodLabel} 红黑榜`,
        `公示日期：${b.publishedAt.slice(0, 10)}`,
        [
          { caption: '红榜', columns: ['名次', '户主', '净得分'], rows: b.red.map((r) => [String(r.rank), r.name, r.net]), empty: '本期无上榜农户' },
          {
            caption: '黑榜',
            columns: ['户主', '扣分事项', '说明'],
            rows: b.black.map((l) => [l.name, l.items.map((i) => `${i.occurredOn} ${i.ruleName} −${i.points}`).join('；') || '—', l.sanctioned ? '暂停部分福利' : '']),
            empty: '本期无上榜农户',
          },
        ],
        '如有异议，请在公示期内向村两委反映。',
        anchorSmallPrint(b.ledgerAnchor),
      ),
    );
  }

  /** The latest published grades of a village (孝善信用), names masked; `Accept: text/html` gets a printable page. */
  @Get('public/grades/:villageCode')
  @Public()
  @ApiJsonOrHtml(PublicGradesView, 'The grades (JSON), or a printable page for `Accept: text/html`.')
  @Header('Cache-Control', 'public, max-age=60')
  async publicGrades(@Param('villageCode') villageCode: string, @Req() req: Request, @Res() res: Response) {
    const g = await this.grades.publicGrades(villageCode);
    if (!g) throw new NotFound('no published grades for this village');
    if (!wantsHtml(req)) return void res.json(g);
    res.type('html').send(
      printablePage(
        `${g.villageName} 孝善信用评级公示`,
        `评级基准日：${g.asOf}　公示日期：${g.publishedAt.slice(0, 10)}`,
        [{ caption: g.scorecard, columns: ['户主', '信用等级'], rows: g.households.map((h) => [h.name, h.grade ?? '未评级']), empty: '暂无评级' }],
        '如有异议，请向村两委或镇文明实践所反映。',
        anchorSmallPrint(g.ledgerAnchor),
      ),
    );
  }
}
