import Decimal from 'decimal.js';
import fc from 'fast-check';
import { canonicalJson } from '../../platform/util/canonical-json';
import { canonicalBody, HashableTransaction, transactionHash, transactionHashInput } from './hash';

/** The definition written independently of the code: entries ordered numerically by account, then sequence. */
const reference = (tx: HashableTransaction) =>
  canonicalJson({
    // The business day only when it is not the booking day (Asia/Shanghai).
    ...(tx.effectiveOn && tx.effectiveOn !== new Date(tx.createdAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10) ? { eff: tx.effectiveOn } : {}),
    t: tx.tenantId, id: tx.id, kind: tx.kind, memo: tx.memo, meta: tx.metadata, src: [tx.sourceType, tx.sourceId], actor: tx.actor, rev: tx.reversalOf,
    at: tx.createdAt.toISOString(),
    e: tx.entries
      .map((e) => [e.accountId, String(e.accountSeq), e.asset, e.amount.toFixed(), e.balanceAfter.toFixed()])
      .sort((a, b) => {
        const [x, y] = BigInt(a[0]) === BigInt(b[0]) ? [BigInt(a[1]), BigInt(b[1])] : [BigInt(a[0]), BigInt(b[0])];
        return x < y ? -1 : x > y ? 1 : 0;
      }),
  });

const text = fc.string({ unit: 'binary', maxLength: 20 });
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), text, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 4 })),
})).value;
const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 0, max: 6 })).map(([n, s]) => new Decimal(n.toString()).div(10 ** s));

const transaction: fc.Arbitrary<HashableTransaction> = fc.record({
  tenantId: fc.uuid(),
  id: fc.uuid(),
  kind: text,
  memo: text,
  metadata: fc.dictionary(text, json, { maxKeys: 4 }),
  sourceType: fc.option(text),
  sourceId: fc.option(text),
  actor: text,
  reversalOf: fc.option(fc.uuid()),
  createdAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
  effectiveOn: fc.option(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)), { nil: undefined }),
  entries: fc.array(
    fc.record({ accountId: fc.oneof(fc.bigInt({ min: 1n, max: 20n }), fc.bigInt({ min: 1n, max: 10n ** 15n })).map(String), accountSeq: fc.oneof(fc.bigInt({ min: 1n, max: 12n }), fc.bigInt({ min: 1n, max: 10n ** 9n })), asset: text, amount: decimal, balanceAfter: decimal }),
    { minLength: 2, maxLength: 5 },
  ),
});

describe('transaction hash', () => {
  it('the field-by-field text equals the canonical JSON that defines it, for any transaction', () => {
    fc.assert(fc.property(transaction, (tx) => transactionHashInput(tx) === canonicalBody(tx) && canonicalBody(tx) === reference(tx)), { numRuns: 2000 });
  });

  it('is SHA-256 of that text and changes with any entry', () => {
    const tx: HashableTransaction = {
      tenantId: '00000000-0000-4000-8000-000000000001', id: '00000000-0000-4000-8000-000000000002', kind: 'issue', memo: '孝善', metadata: { b: 1, a: [2] },
      sourceType: null, sourceId: null, actor: 'key:1', reversalOf: null, createdAt: new Date('2026-11-23T00:00:00Z'),
      entries: [
        { accountId: '10', accountSeq: 3n, asset: 'CONDUCT', amount: new Decimal('5.10'), balanceAfter: new Decimal('15.1') },
        { accountId: '2', accountSeq: 9n, asset: 'CONDUCT', amount: new Decimal('-5.1'), balanceAfter: new Decimal('-5.1') },
      ],
    };
    expect(transactionHashInput(tx)).toBe(
      '{"actor":"key:1","at":"2026-11-23T00:00:00.000Z","e":[["2","9","CONDUCT","-5.1","-5.1"],["10","3","CONDUCT","5.1","15.1"]],' +
        '"id":"00000000-0000-4000-8000-000000000002","kind":"issue","memo":"孝善","meta":{"a":[2],"b":1},"rev":null,"src":[null,null],"t":"00000000-0000-4000-8000-000000000001"}',
    );
    const changed = { ...tx, entries: [tx.entries[0], { ...tx.entries[1], balanceAfter: new Decimal('-5.2') }] };
    expect(transactionHash(changed).equals(transactionHash(tx))).toBe(false);
    expect(transactionHash(tx).toString('hex')).toHaveLength(64);
  });

  it('covers the business day of a backdated posting, and leaves a live posting\'s hash as it always was', () => {
    const live: HashableTransaction = {
      tenantId: '00000000-0000-4000-8000-000000000001', id: '00000000-0000-4000-8000-000000000002', kind: 'issue', memo: 'm', metadata: {},
      sourceType: null, sourceId: null, actor: 'key:1', reversalOf: null, createdAt: new Date('2026-11-22T16:30:00Z'), // 2026-11-23 00:30 in Shanghai
      entries: [
        { accountId: '1', accountSeq: 1n, asset: 'CONDUCT', amount: new Decimal('5'), balanceAfter: new Decimal('5') },
        { accountId: '2', accountSeq: 1n, asset: 'CONDUCT', amount: new Decimal('-5'), balanceAfter: new Decimal('-5') },
      ],
    };
    expect(transactionHash({ ...live, effectiveOn: '2026-11-23' }).equals(transactionHash(live))).toBe(true);
    const backdated = { ...live, effectiveOn: '2025-11-23' };
    expect(transactionHashInput(backdated)).toContain('"eff":"2025-11-23"');
    expect(transactionHash(backdated).equals(transactionHash(live))).toBe(false);
    expect(transactionHash({ ...live, effectiveOn: '2025-11-24' }).equals(transactionHash(backdated))).toBe(false);
  });
});
