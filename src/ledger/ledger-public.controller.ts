import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/access.decorator';
import { NotFound } from '../platform/http/app-error';
import { AnchorsQuery, LedgerAnchorsView } from './ledger.dto';
import { LedgerAudit } from './ledger-audit.service';

@ApiTags('public')
@Controller('public/ledger')
export class LedgerPublicController {
  constructor(
    private readonly audit: LedgerAudit,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * The seals of the ledger printed on each published board and grade list,
   * newest first: anyone holding a printed page can check that today's chain
   * still passes through its seal. `tenant` is the county's code or the tenant's id.
   */
  @Get('anchors')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  async anchors(@Query() q: AnchorsQuery): Promise<LedgerAnchorsView> {
    const [tenant]: { id: string; region_code: string }[] = await this.dataSource.query(
      `SELECT id, region_code FROM tenants WHERE ${/^\d{6}$/.test(q.tenant) ? 'region_code = $1' : 'id = $1::uuid'}`,
      [q.tenant],
    );
    if (!tenant) throw new NotFound(`tenant ${q.tenant}`);
    return { tenantId: tenant.id, countyCode: tenant.region_code, items: await this.audit.anchors(tenant.id) };
  }
}
