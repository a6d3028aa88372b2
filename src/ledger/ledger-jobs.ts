import { Injectable, OnModuleInit } from '@nestjs/common';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { TenancyService } from '../tenancy/tenancy.service';
import { AssetsService, DEFAULT_ASSETS } from './assets.service';
import { LedgerHolds } from './ledger-holds.service';
import { LedgerAudit } from './ledger-audit.service';

const SEAL_INTERVAL_MS = 5000;
const HOLD_SWEEP_INTERVAL_MS = 15_000;

/** What the ledger does on its own: sealing, expiring holds, and every new tenant's default assets. */
@Injectable()
export class LedgerJobs implements OnModuleInit {
  constructor(
    private readonly jobs: BackgroundJobs,
    private readonly tenancy: TenancyService,
    private readonly assets: AssetsService,
    private readonly audit: LedgerAudit,
    private readonly holds: LedgerHolds,
  ) {}

  onModuleInit(): void {
    this.tenancy.onTenantCreated(async (m, tenant) => {
      for (const a of DEFAULT_ASSETS) await this.assets.insert(m, tenant.id, a);
    });
    // Seal new transactions into the chain every few seconds, off the posting path.
    this.jobs.every('sealing the ledger', SEAL_INTERVAL_MS, () => this.audit.sealAll());
    // Holds past their timeout give their reservation back without anyone asking.
    this.jobs.every('expiring holds', HOLD_SWEEP_INTERVAL_MS, () => this.holds.expireHolds());
  }
}
