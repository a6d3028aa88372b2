import Decimal from 'decimal.js';
import { Feature, grade, ScorecardDocument, scorecardProblems } from './scorecard';

const card: ScorecardDocument = {
  name: '孝善信用',
  features: [
    { feature: 'xiaoshanBalance', bins: [{ max: '50', points: '0' }, { min: '50', max: '200', points: '30' }, { min: '200', points: '45' }] },
    { feature: 'conductNet', windowDays: 365, bins: [{ max: '0', points: '-10' }, { min: '0', max: '20', points: '10' }, { min: '20', points: '25' }] },
    { feature: 'volunteerHours', bins: [{ min: '20', points: '15' }] },
    { feature: 'sanctioned', bins: [{ min: '1', points: '-20' }] },
  ],
  bands: [
    { grade: 'A', minScore: '60', creditLine: '50000', rateTier: 'base' },
    { grade: 'AAA', minScore: '80', creditLine: '200000', rateTier: 'base-20bp' },
    { grade: 'AA', minScore: '70', creditLine: '100000', rateTier: 'base-10bp' },
  ],
  disqualifiers: [{ feature: 'sanctioned', maxGrade: 'A' }, { feature: 'debitItems', atLeast: '3', maxGrade: null }],
};
const values = (v: Partial<Record<Feature, string>>): Record<Feature, Decimal> =>
  Object.fromEntries((['xiaoshanBalance', 'conductNet', 'debitItems', 'volunteerHours', 'sanctioned', 'yearsEnrolled'] as Feature[]).map((f) => [f, new Decimal(v[f] ?? '0')])) as Record<Feature, Decimal>;

describe('scorecard grading', () => {
  const cases: { name: string; v: Partial<Record<Feature, string>>; score: string; grade: string | null; capped?: number }[] = [
    { name: 'top of every bin → AAA', v: { xiaoshanBalance: '300', conductNet: '25', volunteerHours: '40' }, score: '85', grade: 'AAA' },
    { name: 'a bin boundary belongs to the upper bin (min ≤ v < max)', v: { xiaoshanBalance: '200', conductNet: '20', volunteerHours: '20' }, score: '85', grade: 'AAA' },
    { name: 'just below a band', v: { xiaoshanBalance: '199.99', conductNet: '20', volunteerHours: '20' }, score: '70', grade: 'AA' },
    { name: 'no bin matched scores 0 for that feature', v: { xiaoshanBalance: '60', conductNet: '5' }, score: '40', grade: null },
    { name: 'a sanction caps the grade at A', v: { xiaoshanBalance: '300', conductNet: '25', volunteerHours: '40', sanctioned: '1' }, score: '65', grade: 'A' },
    { name: 'three yellow items remove the grade', v: { xiaoshanBalance: '300', conductNet: '25', volunteerHours: '40', debitItems: '3' }, score: '85', grade: null, capped: 1 },
    { name: 'a cap above the scored band changes nothing', v: { xiaoshanBalance: '60', conductNet: '25', sanctioned: '1' }, score: '35', grade: null, capped: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const g = grade(card, values(c.v));
      expect(g.score.toFixed()).toBe(c.score);
      expect(g.grade).toBe(c.grade);
      if (c.capped !== undefined) expect(g.cappedBy).toHaveLength(c.capped);
    });
  }

  it('explains each feature: value, matched bin, points', () => {
    const g = grade(card, values({ xiaoshanBalance: '120', conductNet: '-3' }));
    expect(g.features[0]).toEqual({ feature: 'xiaoshanBalance', value: '120', bin: { min: '50', max: '200', points: '30' }, points: '30' });
    expect(g.features[1]).toMatchObject({ feature: 'conductNet', value: '-3', points: '-10' });
    expect(g.features[2]).toEqual({ feature: 'volunteerHours', value: '0', bin: null, points: '0' });
  });

  it('names the field of each problem in a document', () => {
    const bad: ScorecardDocument = {
      name: 'x',
      features: [
        { feature: 'sanctioned', windowDays: 30, bins: [{ min: '5', max: '1', points: '1' }] },
        { feature: 'sanctioned', bins: [] },
      ],
      bands: [{ grade: 'A', minScore: '1', creditLine: '1', rateTier: 'x' }, { grade: 'A', minScore: '2', creditLine: '1', rateTier: 'x' }],
      disqualifiers: [{ feature: 'sanctioned', maxGrade: 'B' }],
    };
    expect(scorecardProblems(bad).map((p) => p.field)).toEqual(['features[0].windowDays', 'features[0].bins[0]', 'features[1].feature', 'bands[1].grade', 'disqualifiers[0].maxGrade']);
  });
});
