import Decimal from 'decimal.js';
import { LedgerPosting } from '../../src/ledger/ledger-posting.service';
import { LedgerQueries } from '../../src/ledger/ledger-queries.service';
import { UnitOfWork } from '../../src/platform/database/unit-of-work';
import { startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold } from '../helpers/fixtures';

/**
 * Account ids are cached once committed. A transaction that creates an
 * account and finds it again later (a migration posting chunk after chunk)
 * has not committed it: if it rolls back, nothing of it may stay cached, or
 * the next posting names an account that does not exist.
 */
describe('account directory: ids of a transaction that rolls back are never cached', () => {
  let t: TestApp;
  let c: County;
  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
  });
  afterAll(async () => t.close());

  it('a unit of work creates accounts, posts to them twice, rolls back; the next posting creates them again and posts', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const posting = t.app.get(LedgerPosting);
    const uow = t.app.get(UnitOfWork);
    const issue = (amount: number) => ({
      tenantId: c.tenantId,
      kind: 'issue' as const,
      entries: [
        { account: { holderType: 'system' as const, holderId: 'issuer', asset: 'XIAOSHAN' }, amount: new Decimal(-amount) },
        { account: { holderType: 'household' as const, holderId: hh, asset: 'XIAOSHAN', regionCode: c.villages[0] }, amount: new Decimal(amount) },
      ],
      memo: 'test',
      metadata: {},
      actor: 'test',
    });
    const rolledBack = new Error('roll back');
    await expect(
      uow.run(async (m) => {
        expect((await posting.postMany(m, [issue(1)]))[0].kind).toBe('posted');
        expect((await posting.postMany(m, [issue(2)]))[0].kind).toBe('posted');
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    const [outcome] = await uow.run((m) => posting.postMany(m, [issue(3)]));
    expect(outcome.kind).toBe('posted');
    const balances = await t.app.get(LedgerQueries).holderBalances(c.tenantId, { type: 'household', id: hh });
    expect(balances.balances.find((b) => b.asset === 'XIAOSHAN')?.balance).toBe('3.00');
  });
});
