import Decimal from 'decimal.js';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { Feature, FEATURES, grade, gradingSql, ScorecardDocument } from '../../src/grades/domain/scorecard';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * A grade run scores households inside PostgreSQL (gradingSql); explanations
 * use the pure grade(). They must agree on every input: random scorecards and
 * random feature values, scored both ways against the real database.
 */
const dec = (min: number, max: number) => fc.integer({ min: min * 100, max: max * 100 }).map((c) => new Decimal(c).div(100).toFixed());

const binsArb = fc.array(fc.tuple(fc.option(dec(-50, 500), { nil: undefined }), fc.option(dec(-50, 500), { nil: undefined }), dec(-20, 40)), { minLength: 1, maxLength: 4 }).map((bs) =>
  bs.map(([a, b, points]) => {
    const [min, max] = a !== undefined && b !== undefined && new Decimal(a).gte(b) ? [b, a] : [a, b];
    return { ...(min !== undefined ? { min } : {}), ...(max !== undefined && max !== min ? { max } : {}), points };
  }),
);

const cardArb: fc.Arbitrary<ScorecardDocument> = fc
  .record({
    features: fc.uniqueArray(fc.constantFrom(...FEATURES), { minLength: 1, maxLength: 6 }),
    bins: fc.array(binsArb, { minLength: 6, maxLength: 6 }),
    mins: fc.uniqueArray(fc.integer({ min: -20, max: 150 }), { minLength: 1, maxLength: 4 }),
    disq: fc.array(fc.record({ feature: fc.constantFrom(...FEATURES), atLeast: dec(0, 100), cap: fc.integer({ min: -1, max: 3 }) }), { maxLength: 3 }),
  })
  .map(({ features, bins, mins, disq }) => {
    const bands = mins.map((m, i) => ({ grade: ['AAA', 'AA', 'A', 'B'][i], minScore: String(m), creditLine: String(1000 * (i + 1)), rateTier: `T'${i}` }));
    return {
      name: 'property',
      features: features.map((feature, i) => ({ feature, bins: bins[i] })),
      bands,
      disqualifiers: disq.map((d) => ({ feature: d.feature, atLeast: d.atLeast, maxGrade: d.cap < 0 || d.cap >= bands.length ? null : bands[d.cap].grade })),
    };
  });

const valuesArb = fc.array(fc.record(Object.fromEntries(FEATURES.map((f) => [f, dec(-60, 600)])) as Record<Feature, fc.Arbitrary<string>>), { minLength: 1, maxLength: 25 });

describe('grading in SQL agrees with grade() (property-based, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('same points, score, grade, credit line, rate tier and disqualifiers', async () => {
    const db = t.app.get(DataSource);
    await fc.assert(
      fc.asyncProperty(cardArb, valuesArb, async (card, rows) => {
        const source = `SELECT * FROM (VALUES ${rows
          .map((r, i) => `(${i}, ${FEATURES.map((f) => `${r[f]}::numeric`).join(', ')})`)
          .join(', ')}) AS v(i, ${FEATURES.map((f) => `"${f}"`).join(', ')})`;
        const got: any[] = await db.query(`SELECT i, points, score::text AS score, grade, credit_line::text AS credit_line, rate_tier, capped_by FROM (${gradingSql(card, source)}) AS x ORDER BY i`);
        rows.forEach((r, i) => {
          const want = grade(card, Object.fromEntries(FEATURES.map((f) => [f, new Decimal(r[f])])) as Record<Feature, Decimal>);
          const g = got[i];
          expect(new Decimal(g.score).eq(want.score)).toBe(true);
          expect(g.grade).toBe(want.grade);
          expect(g.credit_line === null ? null : new Decimal(g.credit_line).toFixed()).toBe(want.creditLine === null ? null : new Decimal(want.creditLine).toFixed());
          expect(g.rate_tier).toBe(want.rateTier);
          expect(g.points.map((v: string | null) => (v === null ? null : new Decimal(v).toFixed()))).toEqual(
            FEATURES.map((f) => {
              const s = want.features.find((x) => x.feature === f);
              return s ? new Decimal(s.points).toFixed() : null;
            }),
          );
          expect(g.capped_by.map((c: any) => [c.feature, c.maxGrade])).toEqual(want.cappedBy.map((c) => [c.feature, c.maxGrade]));
        });
      }),
      { numRuns: 150 },
    );
  });
});
