import Decimal from 'decimal.js';

export const FEATURES = ['xiaoshanBalance', 'conductNet', 'debitItems', 'volunteerHours', 'sanctioned', 'yearsEnrolled'] as const;
export type Feature = (typeof FEATURES)[number];
/** Features counted over a window of days before the run's date (default 365). */
export const WINDOWED: ReadonlySet<Feature> = new Set(['conductNet', 'debitItems', 'volunteerHours']);
export const DEFAULT_WINDOW_DAYS = 365;

export interface Bin {
  min?: string;
  max?: string;
  points: string;
}

export interface FeatureSpec {
  feature: Feature;
  windowDays?: number;
  bins: Bin[];
}

export interface Band {
  grade: string;
  minScore: string;
  creditLine: string;
  rateTier: string;
}

/** When a feature's value is at least `atLeast` (default 1), the grade is at most `maxGrade` (null: no grade at all). */
export interface Disqualifier {
  feature: Feature;
  atLeast?: string;
  maxGrade: string | null;
}

export interface ScorecardDocument {
  name: string;
  features: FeatureSpec[];
  bands: Band[];
  disqualifiers?: Disqualifier[];
}

export interface FeatureScore {
  feature: Feature;
  value: string;
  /** The matched bin, as written in the scorecard; null when no bin matched (0 points). */
  bin: Bin | null;
  points: string;
}

export interface Grading {
  features: FeatureScore[];
  score: Decimal;
  /** The band the score reached, before disqualifiers. */
  scoredGrade: string | null;
  grade: string | null;
  creditLine: string | null;
  rateTier: string | null;
  cappedBy: { feature: Feature; value: string; maxGrade: string | null }[];
}

/** A bin matches `min ≤ value < max`, either side open. */
const matches = (b: Bin, v: Decimal) => (b.min === undefined || v.gte(b.min)) && (b.max === undefined || v.lt(b.max));

/** Bands from the highest minScore down. */
export const bandsByRank = (bands: Band[]) => [...bands].sort((a, b) => new Decimal(b.minScore).cmp(a.minScore));

/**
 * Scores one household: for each feature the first matching bin's points,
 * summed; the band is the one with the highest minScore at or below the
 * score; then each disqualifier whose feature reaches its threshold caps the
 * grade at its maxGrade (a lower band), or removes it. Pure.
 */
export function grade(card: ScorecardDocument, values: Record<Feature, Decimal>): Grading {
  const features: FeatureScore[] = card.features.map((f) => {
    const v = values[f.feature];
    const bin = f.bins.find((b) => matches(b, v)) ?? null;
    return { feature: f.feature, value: v.toFixed(), bin, points: bin ? new Decimal(bin.points).toFixed() : '0' };
  });
  const score = features.reduce((s, f) => s.plus(f.points), new Decimal(0));
  const ranked = bandsByRank(card.bands);
  let rank = ranked.findIndex((b) => score.gte(b.minScore));
  const scoredGrade = rank >= 0 ? ranked[rank].grade : null;
  const cappedBy: Grading['cappedBy'] = [];
  for (const d of card.disqualifiers ?? []) {
    const v = values[d.feature];
    if (!v.gte(d.atLeast ?? '1')) continue;
    const capRank = d.maxGrade === null ? ranked.length : ranked.findIndex((b) => b.grade === d.maxGrade);
    if (rank >= 0 && capRank > rank) {
      rank = capRank >= ranked.length ? -1 : capRank;
      cappedBy.push({ feature: d.feature, value: v.toFixed(), maxGrade: d.maxGrade });
    }
  }
  const band = rank >= 0 ? ranked[rank] : null;
  return { features, score, scoredGrade, grade: band?.grade ?? null, creditLine: band?.creditLine ?? null, rateTier: band?.rateTier ?? null, cappedBy };
}

/** Problems a document can have beyond its fields' shapes, each with the field path it concerns. */
export function scorecardProblems(card: ScorecardDocument): { field: string; messages: string[] }[] {
  const out: { field: string; messages: string[] }[] = [];
  const seen = new Set<string>();
  card.features.forEach((f, i) => {
    if (seen.has(f.feature)) out.push({ field: `features[${i}].feature`, messages: [`${f.feature} appears twice`] });
    seen.add(f.feature);
    if (f.windowDays !== undefined && !WINDOWED.has(f.feature)) out.push({ field: `features[${i}].windowDays`, messages: [`${f.feature} has no window`] });
    f.bins.forEach((b, j) => {
      if (b.min !== undefined && b.max !== undefined && !new Decimal(b.min).lt(b.max)) out.push({ field: `features[${i}].bins[${j}]`, messages: ['min must be below max'] });
    });
  });
  const grades = new Set<string>();
  card.bands.forEach((b, i) => {
    if (grades.has(b.grade)) out.push({ field: `bands[${i}].grade`, messages: [`grade ${b.grade} appears twice`] });
    grades.add(b.grade);
  });
  (card.disqualifiers ?? []).forEach((d, i) => {
    if (d.maxGrade !== null && !grades.has(d.maxGrade)) out.push({ field: `disqualifiers[${i}].maxGrade`, messages: [`${d.maxGrade} is not one of the bands`] });
  });
  return out;
}
