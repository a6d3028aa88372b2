import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import { EligibilityQuery, EligibilityView, SanctionsEvaluatedView } from './sanctions.dto';
import { SanctionsService } from './sanctions.service';

@ApiTags('records')
@Controller('v1')
export class SanctionsController {
  constructor(private readonly sanctions: SanctionsService) {}

  /** Whether a household may receive a benefit (惠民政策), with the sanctions that block it. */
  @Get('households/:id/eligibility')
  @Access({ roles: ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'] })
  eligibility(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Query() q: EligibilityQuery): Promise<EligibilityView> {
    return this.sanctions.eligibility(p, id, q.benefit);
  }

  /** Runs the nightly sanction re-evaluation now, for this county (deductions that aged out of their window lift sanctions). */
  @Post('jobs/evaluate-sanctions')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  evaluateSanctions(@CurrentPrincipal() p: KeyPrincipal): Promise<SanctionsEvaluatedView> {
    return this.sanctions.reevaluateAll(undefined, p.tenantId);
  }
}
