import Decimal from 'decimal.js';
import { capWindow, effectiveItems, RuleItem, valueRecord } from './rules';

const D = (s: string | number) => new Decimal(s);
const item = (over: Partial<RuleItem> = {}): RuleItem => ({ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5', ...over });

describe('valueRecord', () => {
  it.each([
    // description, item, quantity, usage, expected points, capped
    ['fixed points', item(), '1', {}, '5', false],
    ['per hour', item({ points: '1', unit: 'hour' }), '2.5', {}, '2.5', false],
    ['per time', item({ points: '2', unit: 'time' }), '3', {}, '6', false],
    ['under a monthly points cap', item({ caps: [{ period: 'month', maxPoints: '20' }] }), '1', { month: { points: D(10), count: 2 } }, '5', false],
    ['cut by a monthly points cap', item({ caps: [{ period: 'month', maxPoints: '20' }] }), '1', { month: { points: D(17), count: 3 } }, '3', true],
    ['cap already used up', item({ caps: [{ period: 'month', maxPoints: '20' }] }), '1', { month: { points: D(20), count: 4 } }, '0', true],
    ['over-used cap never goes negative', item({ caps: [{ period: 'month', maxPoints: '20' }] }), '1', { month: { points: D(25), count: 5 } }, '0', true],
    ['count cap not reached', item({ caps: [{ period: 'day', maxCount: 2 }] }), '1', { day: { points: D(5), count: 1 } }, '5', false],
    ['count cap reached', item({ caps: [{ period: 'day', maxCount: 2 }] }), '1', { day: { points: D(10), count: 2 } }, '0', true],
    ['the tightest of several caps', item({ points: '1', unit: 'hour', caps: [{ period: 'day', maxPoints: '8' }, { period: 'year', maxPoints: '100' }] }), '10', { day: { points: D(0), count: 0 }, year: { points: D(97), count: 30 } }, '3', true],
    ['usage of another period does not count', item({ caps: [{ period: 'year', maxPoints: '10' }] }), '1', { month: { points: D(100), count: 9 } }, '5', false],
  ])('%s', (_, it, quantity, usage, expected, capped) => {
    const v = valueRecord(it, D(quantity), usage);
    expect(v.points.toFixed()).toBe(expected);
    expect(v.cappedBy !== null).toBe(capped);
    expect(v.uncapped.gte(v.points)).toBe(true);
  });
});

describe('capWindow', () => {
  it.each([
    ['day', '2026-02-28', '2026-02-28', '2026-03-01'],
    ['day', '2026-12-31', '2026-12-31', '2027-01-01'],
    ['month', '2026-02-15', '2026-02-01', '2026-03-01'],
    ['month', '2026-12-05', '2026-12-01', '2027-01-01'],
    ['year', '2026-07-01', '2026-01-01', '2027-01-01'],
  ] as const)('%s of %s is [%s, %s)', (period, date, from, to) => {
    expect(capWindow(period, date)).toEqual({ from, to });
  });
});

describe('effectiveItems', () => {
  it('adds the child items and lets the child override by code', () => {
    const county = [item({ code: 'R01', points: '5' }), item({ code: 'Y01', direction: 'debit', points: '3' })];
    const village = [item({ code: 'R01', points: '8' }), item({ code: 'R11', points: '2' })];
    expect(effectiveItems([county, village]).map((i) => [i.code, i.points])).toEqual([
      ['R01', '8'],
      ['Y01', '3'],
      ['R11', '2'],
    ]);
  });
});
