import fc from 'fast-check';
import Decimal from 'decimal.js';
import { decimalProblem, isCalendarDate } from './validators';

/** The definition by way of the Date object: the text survives a round trip through UTC midnight. */
const reference = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

describe('isCalendarDate', () => {
  it.each([
    ['2026-03-01', true],
    ['2026-02-28', true],
    ['2026-02-29', false],
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2026-04-31', false],
    ['2026-12-31', true],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-01-00', false],
    ['2026-1-01', false],
    ['2026-01-01x', false],
    ['２０２６-01-01', false],
    ['', false],
  ])('%s → %s', (d, ok) => expect(isCalendarDate(d)).toBe(ok));

  it('agrees with the Date round trip for any YYYY-MM-DD with digits in every place', () => {
    const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const text = fc.oneof(
      fc.tuple(fc.integer({ min: 1000, max: 2999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
      fc.tuple(digits(4), digits(2), digits(2)).map(([y, m, d]) => `${y}-${m}-${d}`),
    );
    fc.assert(fc.property(text, (d) => isCalendarDate(d) === reference(d)), { numRuns: 5000 });
  });
});

describe('decimalProblem', () => {
  it.each([
    ['12.50', {}, null],
    ['0', {}, null],
    ['0', { positive: true }, 'must be greater than zero'],
    ['0.000', { positive: true }, 'must be greater than zero'],
    ['0.001', { positive: true }, null],
    ['-1', {}, 'must not be negative'],
    ['-1', { signed: true }, null],
    ['-0.5', { signed: true, positive: true }, 'must be greater than zero'],
    ['1.1234567', {}, 'must have at most 6 decimals'],
    ['1.123', { scale: 2 }, 'must have at most 2 decimals'],
    ['1234567890123', {}, 'must have at most 12 digits before the point'],
    ['01', {}, 'must be a decimal string such as "12.50"'],
    ['1.', {}, 'must be a decimal string such as "12.50"'],
    ['.5', {}, 'must be a decimal string such as "12.50"'],
    ['1e3', {}, 'must be a decimal string such as "12.50"'],
    [' 1', {}, 'must be a decimal string such as "12.50"'],
    ['１', {}, 'must be a decimal string such as "12.50"'],
    ['1.0000001', { max: '1', scale: 7 }, 'must be at most 1'],
    ['1.000000', { max: '1' }, null],
    ['0.99', { max: '1' }, null],
    ['10', { max: '1' }, 'must be at most 1'],
  ] as const)('%s %j → %s', (v, rule, problem) => expect(decimalProblem(v, rule)).toBe(problem));

  it('refuses anything that is not a string', () => {
    for (const v of [1, 0, null, undefined, {}, [], true]) expect(decimalProblem(v)).toBe('must be a decimal string such as "12.50"');
  });

  it('agrees with decimal.js on sign, zero and the bound for any well-formed decimal', () => {
    const dec = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }), fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }))
      .map(([neg, i, f]) => `${neg ? '-' : ''}${i}${f === undefined ? '' : `.${f}`}`);
    fc.assert(
      fc.property(dec, fc.stringMatching(/^[1-9]\d{0,3}(\.\d{1,3})?$/), (v, max) => {
        const d = new Decimal(v);
        const problem = decimalProblem(v, { signed: true, positive: true, max });
        const expected = !d.gt(0) ? 'must be greater than zero' : d.gt(max) ? `must be at most ${max}` : null;
        return problem === expected;
      }),
      { numRuns: 3000 },
    );
  });
});
