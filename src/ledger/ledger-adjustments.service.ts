import { Injectable, Logger } from '@nestjs/common';
import { actorRef, assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { requestHash } from '../platform/idempotency/idempotency';
import { AssetsService } from './assets.service';
import { parsePositiveAmount } from './domain/amount';
import { LedgerError } from './domain/errors';
import { accountKey, AccountRef, AssetSpec, PostedTransaction, PostingRequest, TransactionKind } from './domain/model';
import { Party } from './ledger-holds.service';
import { LedgerPosting } from './ledger-posting.service';
import { LedgerQueries } from './ledger-queries.service';
import { transactionView } from './ledger.views';
import { BatchOutcome, IdempotentAnswer } from './ledger.writer';

export interface TransferCommand {
  asset: string;
  from: Party;
  to: Party;
  amount: string;
  memo: string;
  metadata?: Record<string, unknown>;
}

/**
 * The ledger's own use cases behind its HTTP routes: an admin adjustment
 * (POST /v1/transfers) and a reversal, each answered as the route answers
 * (status and body, kept for idempotent replays), and what other modules may
 * hear of them afterwards (the sanctions follow a household's CONDUCT).
 */
@Injectable()
export class LedgerAdjustments {
  private readonly logger = new Logger('LedgerAdjustments');
  private readonly adjustedListeners: ((tenantId: string, accounts: AccountRef[]) => Promise<void>)[] = [];

  constructor(
    private readonly assets: AssetsService,
    private readonly holders: HoldersService,
    private readonly posting: LedgerPosting,
    private readonly queries: LedgerQueries,
  ) {}


  private async party(p: KeyPrincipal, asset: AssetSpec, party: Party, field: string): Promise<AccountRef & { regionCode: string | null }> {
    if (party === 'issuer') return { holderType: 'system', holderId: 'issuer', asset: asset.code, regionCode: null };
    const holder = await this.holders.find(p.tenantId, party.type, party.id);
    if (!holder) throw new LedgerError('unknown-holder', `${party.type} ${party.id} not found`, field);
    assertRegionInScope(p, holder.regionCode, `${party.type} ${party.id}`);
    if ((party.type === 'household' || party.type === 'person') && party.type !== asset.holderType) {
      throw new LedgerError('wrong-holder-type', `${asset.code} is held by ${asset.holderType}s, not ${party.type}s`, field);
    }
    return { holderType: party.type, holderId: party.id, asset: asset.code, regionCode: holder.regionCode };
  }

  /** The answer kept for idempotent replays: 201 and the transaction. */
  private responder(p: KeyPrincipal, scales: Map<string, number>) {
    const names = new Map([[actorRef(p), p.actor.name]]);
    return (tx: PostedTransaction, refs: AccountRef[]): IdempotentAnswer => ({ status: 201, body: transactionView(tx, refs, scales, names) });
  }

  /**
   * Called after an admin transfer or reversal has committed, with the accounts
   * it moved (the sanctions re-evaluate a household's CONDUCT). A failing
   * listener is logged, never undoes the posting; the daily re-evaluation
   * catches up.
   */
  onAdjusted(listener: (tenantId: string, accounts: AccountRef[]) => Promise<void>): void {
    this.adjustedListeners.push(listener);
  }

  private async adjusted(o: BatchOutcome, req: PostingRequest): Promise<void> {
    if (o.kind !== 'posted') return;
    for (const l of this.adjustedListeners) {
      await l(req.tenantId, req.entries.map((e) => e.account)).catch((e) => this.logger.warn(`after-adjustment listener failed: ${String(e)}`));
    }
  }

  private answer(o: BatchOutcome): IdempotentAnswer {
    if (o.kind === 'refused') throw o.error;
    if (o.kind === 'replayed') return o.answer;
    return o.answer!;
  }

  /** POST /v1/transfers: an admin adjustment between a holder and the issuer, or two holders. */
  async transfer(p: KeyPrincipal, cmd: TransferCommand, idempotencyKey: string, rawBody: unknown): Promise<IdempotentAnswer> {
    const asset = await this.assets.get(p.tenantId, cmd.asset);
    const amount = parsePositiveAmount(cmd.amount, asset.scale);
    const from = await this.party(p, asset, cmd.from, 'from');
    const to = await this.party(p, asset, cmd.to, 'to');
    if (accountKey(from) === accountKey(to)) throw new LedgerError('same-account', 'from and to are the same account');
    const kind: TransactionKind = cmd.from === 'issuer' ? 'issue' : cmd.to === 'issuer' ? 'penalty' : 'transfer';
    const scope = 'POST /v1/transfers';
    const req: PostingRequest = {
      tenantId: p.tenantId,
      kind,
      entries: [
        { account: from, amount: amount.negated() },
        { account: to, amount },
      ],
      memo: cmd.memo,
      metadata: cmd.metadata ?? {},
      actor: actorRef(p),
      idempotency: { scope, key: idempotencyKey, requestHash: requestHash(scope, rawBody) },
    };
    const outcome = await this.posting.submit(req, this.responder(p, new Map([[asset.code, asset.scale]])));
    await this.adjusted(outcome, req);
    return this.answer(outcome);
  }

  async reverse(p: KeyPrincipal, id: string, reason: string, idempotencyKey: string | undefined): Promise<IdempotentAnswer> {
    const found = await this.queries.loadTransaction(p.tenantId, id);
    if (!found) throw new LedgerError('unknown-transaction', `transaction ${id} not found`);
    this.queries.assertTransactionVisible(p, id, found.entries);
    const req = await this.posting.reversalRequest(p.tenantId, id, reason, actorRef(p));
    const scope = `POST /v1/transactions/${id}/reverse`;
    if (idempotencyKey) req.idempotency = { scope, key: idempotencyKey, requestHash: requestHash(scope, { reason }) };
    const scales = new Map<string, number>();
    for (const e of found.entries) scales.set(e.asset_code, (await this.assets.get(p.tenantId, e.asset_code)).scale);
    const outcome = await this.posting.submit(req, this.responder(p, scales));
    await this.adjusted(outcome, req);
    return this.answer(outcome);
  }

}
