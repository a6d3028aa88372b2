import Decimal from 'decimal.js';
import { expiredAsOf, LotGroup, remainingLots } from './expiry';

const lots = (...g: [string, string][]): LotGroup[] => g.map(([expiresOn, credits]) => ({ expiresOn, credits: new Decimal(credits) }));
const d = (s: string) => new Decimal(s);

describe('points expiry, oldest spent first', () => {
  const cases: { name: string; groups: LotGroup[]; debits: string; asOf: string; expired: string }[] = [
    { name: 'nothing spent, one lot due', groups: lots(['2026-03-01', '10'], ['2026-04-01', '5']), debits: '0', asOf: '2026-03-01', expired: '10' },
    { name: 'not yet due (the expiry day is the first invalid day)', groups: lots(['2026-03-01', '10']), debits: '0', asOf: '2026-02-28', expired: '0' },
    { name: 'spending eats the oldest lot first', groups: lots(['2026-03-01', '10'], ['2026-04-01', '5']), debits: '7', asOf: '2026-03-15', expired: '3' },
    { name: 'spending beyond the oldest lot reaches the next', groups: lots(['2026-03-01', '10'], ['2026-04-01', '5']), debits: '12', asOf: '2026-04-01', expired: '3' },
    { name: 'everything spent: nothing expires', groups: lots(['2026-03-01', '10']), debits: '10', asOf: '2027-01-01', expired: '0' },
    { name: 'an earlier expiry counts as spent: a second run expires nothing', groups: lots(['2026-03-01', '10'], ['2026-04-01', '5']), debits: '10', asOf: '2026-03-02', expired: '0' },
    { name: 'lots given out of order are charged by age', groups: lots(['2026-04-01', '5'], ['2026-03-01', '10']), debits: '4', asOf: '2026-03-01', expired: '6' },
    { name: 'a negative balance is charged to later credits', groups: lots(['2026-03-01', '3']), debits: '5', asOf: '2026-03-01', expired: '0' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(expiredAsOf(c.groups, d(c.debits), c.asOf).toFixed()).toBe(c.expired);
    });
  }

  it('reports what is left of every lot', () => {
    expect(remainingLots(lots(['2026-03-01', '10'], ['2026-04-01', '5'], ['2026-05-01', '1']), d('12')).map((l) => [l.expiresOn, l.remaining.toFixed()])).toEqual([
      ['2026-03-01', '0'],
      ['2026-04-01', '3'],
      ['2026-05-01', '1'],
    ]);
  });
});
