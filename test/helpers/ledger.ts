import type { INestApplicationContext } from '@nestjs/common';
import { LedgerAdjustments } from '../../src/ledger/ledger-adjustments.service';
import { LedgerHolds } from '../../src/ledger/ledger-holds.service';
import { LedgerPosting } from '../../src/ledger/ledger-posting.service';
import { LedgerQueries } from '../../src/ledger/ledger-queries.service';
import { LedgerAudit } from '../../src/ledger/ledger-audit.service';

/** The ledger's services of an app, under one name for the tests and benchmarks that drive the ledger directly. */
export function ledgerOf(app: INestApplicationContext) {
  const posting = app.get(LedgerPosting);
  const holds = app.get(LedgerHolds);
  const audit = app.get(LedgerAudit);
  const adjustments = app.get(LedgerAdjustments);
  const queries = app.get(LedgerQueries);
  return {
    posting, holds, audit, adjustments, queries,
    submit: posting.submit.bind(posting),
    post: posting.post.bind(posting),
    postMany: posting.postMany.bind(posting),
    stageMany: posting.stageMany.bind(posting),
    reversalRequest: posting.reversalRequest.bind(posting),
    hold: holds.hold.bind(holds),
    completeHold: holds.completeHold.bind(holds),
    cancelHold: holds.cancelHold.bind(holds),
    getHold: holds.getHold.bind(holds),
    expireHolds: holds.expireHolds.bind(holds),
    transfer: adjustments.transfer.bind(adjustments),
    sealAll: audit.sealAll.bind(audit),
    verify: audit.verify.bind(audit),
    get staleBatches() {
      return posting.staleBatches;
    },
    get batchesApplied() {
      return posting.batchesApplied;
    },
  };
}

export type Ledger = ReturnType<typeof ledgerOf>;
