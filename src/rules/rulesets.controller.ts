import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { READER_ROLES, type KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import { ApplicableQuery, CreateRuleSetDto, ListRuleSetsQuery, RuleSetsView, RuleSetView } from './rulesets.dto';
import { RuleSetsService } from './rulesets.service';


@ApiTags('rule sets')
@Controller('v1/rulesets')
export class RuleSetsController {
  constructor(private readonly ruleSets: RuleSetsService) {}

  /** Draft a rule set (a new version for its region and asset). Every problem is reported with its field path. */
  @Post()
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  create(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateRuleSetDto): Promise<RuleSetView> {
    return this.ruleSets.create(p, dto);
  }

  /** Rule sets in or above the caller's region, newest first. */
  @Get()
  @Access({ roles: READER_ROLES })
  list(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListRuleSetsQuery): Promise<RuleSetsView> {
    return this.ruleSets.list(p, q);
  }

  /** The set in effect for a village on a date (default today), with its inherited items. */
  @Get('applicable')
  @Access({ roles: READER_ROLES })
  applicable(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ApplicableQuery): Promise<RuleSetView> {
    return this.ruleSets.applicable(p, q);
  }

  /** A rule set with its items as in force (inherited ones included). */
  @Get(':id')
  @Access({ roles: READER_ROLES })
  get(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<RuleSetView> {
    return this.ruleSets.get(p, id);
  }

  /** Activate a draft; the active set of the same region and asset is retired from this one's effectiveFrom. */
  @Post(':id/activate')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  activate(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<RuleSetView> {
    return this.ruleSets.activate(p, id);
  }
}
