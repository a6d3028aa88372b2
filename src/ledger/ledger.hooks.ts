import { Injectable } from '@nestjs/common';
import type { BeforeCommitHook } from './ledger.writer';

/**
 * Seams for tests: a hook that runs after a batch is written and before it
 * commits (to prove a failure there leaves nothing behind). Unset in production.
 */
@Injectable()
export class LedgerHooks {
  beforeCommit?: BeforeCommitHook;
}
