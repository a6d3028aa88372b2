import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import { CreateGradeRunDto, CreateScorecardDto, GradeRunCreatedView, GradeRunPublishedView, GradeRunView, GradeRunsView, RunsQuery, GradeExplainedView, ScorecardsView, ScorecardView } from './grades.dto';
import { GradesService } from './grades.service';

const GRADE_READERS = ['admin', 'auditor', 'clerk', 'reviewer'] as const;

@ApiTags('credit grades')
@Controller('v1')
export class GradesController {
  constructor(private readonly grades: GradesService) {}

  /** A scorecard: features with bins, bands, disqualifiers. A new document under the same name is its next version. */
  @Post('scorecards')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createScorecard(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateScorecardDto): Promise<ScorecardView> {
    return this.grades.createScorecard(p, dto);
  }

  /** The tenant's scorecards. */
  @Get('scorecards')
  @Access({ roles: GRADE_READERS })
  listScorecards(@CurrentPrincipal() p: KeyPrincipal): Promise<ScorecardsView> {
    return this.grades.listScorecards(p);
  }

  /** A scorecard: its features, points and grade bands. */
  @Get('scorecards/:id')
  @Access({ roles: GRADE_READERS })
  getScorecard(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ScorecardView> {
    return this.grades.getScorecard(p, id);
  }

  /** Grades every household of the region as of a day, from one snapshot; a draft until published. */
  @Post('grade-runs')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createRun(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateGradeRunDto): Promise<GradeRunCreatedView> {
    return this.grades.createRun(p, dto);
  }

  /** Grade runs, newest first. */
  @Get('grade-runs')
  @Access({ roles: GRADE_READERS })
  listRuns(@CurrentPrincipal() p: KeyPrincipal, @Query() q: RunsQuery): Promise<GradeRunsView> {
    return this.grades.listRuns(p, q.regionCode);
  }

  /** A grade run: as-of day, scorecard, distribution, status. */
  @Get('grade-runs/:id')
  @Access({ roles: GRADE_READERS })
  getRun(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<GradeRunView> {
    return this.grades.getRun(p, id);
  }

  /** 公示: the run becomes immutable; banks and the public see the latest published run. */
  @Post('grade-runs/:id/publish')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  publish(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<GradeRunPublishedView> {
    return this.grades.publish(p, id);
  }

  /** One household's grade explained: each feature's value, matched bin and points, the score, band and disqualifiers. */
  @Get('grade-runs/:id/households/:householdId')
  @Access({ roles: GRADE_READERS })
  explain(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Param('householdId', IdParam) householdId: string): Promise<GradeExplainedView> {
    return this.grades.explain(p, id, householdId);
  }
}
