import Decimal from 'decimal.js';
import { sqlLiteral } from '../../platform/util/sql-literal';

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

/** A numeric literal from a validated decimal string. */
const num = (s: string) => {
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`not a decimal: ${s}`);
  return `${s}::numeric`;
};

/**
 * The same grading as `grade()`, as SQL over a relation `f` that has one
 * numeric column per feature (named as in FEATURES), so a run grades every
 * household inside PostgreSQL. Columns: `points` (jsonb, per card feature),
 * `score`, `grade`, `credit_line`, `rate_tier`, `capped_by` (jsonb). The
 * property test in test/integration checks it against `grade()`.
 */
export function gradingSql(card: ScorecardDocument, source: string): string {
  const ranked = bandsByRank(card.bands);
  const none = ranked.length; // "no grade" as a rank below every band
  const col = (f: Feature) => `f."${f}"`;
  const pointsOf = (spec: FeatureSpec) => {
    const arms = spec.bins.map((b) => {
      const conds = [b.min !== undefined ? `${col(spec.feature)} >= ${num(b.min)}` : null, b.max !== undefined ? `${col(spec.feature)} < ${num(b.max)}` : null].filter(Boolean);
      return `WHEN ${conds.length ? conds.join(' AND ') : 'true'} THEN ${num(b.points)}`;
    });
    return `CASE ${arms.join(' ')} ELSE 0::numeric END`;
  };
  const p = (i: number) => `p${i}`;
  // Every layer ends in OFFSET 0, which keeps PostgreSQL from pulling it up into
  // the next: otherwise each reference to a column would repeat its whole
  // expression, and the disqualifier chain would grow the work per row.
  const layer1 = `SELECT f.*, ${card.features.map((s, i) => `${pointsOf(s)} AS ${p(i)}`).join(', ') || '0 AS p0'} FROM (${source} OFFSET 0) AS f OFFSET 0`;
  const score = card.features.length ? card.features.map((_, i) => `s1.${p(i)}`).join(' + ') : '0::numeric';
  const scoredRank = `CASE ${ranked.map((b, i) => `WHEN (${score}) >= ${num(b.minScore)} THEN ${i}`).join(' ')} ELSE ${none} END`;
  let layer = `SELECT s1.*, trim_scale(${score}) AS score, ${scoredRank} AS r0 FROM (${layer1}) AS s1 OFFSET 0`;
  const disq = card.disqualifiers ?? [];
  disq.forEach((d, k) => {
    const cap = d.maxGrade === null ? none : ranked.findIndex((b) => b.grade === d.maxGrade);
    const prev = `s.r${k}`;
    const applies = `(s."${d.feature}" >= ${num(d.atLeast ?? '1')} AND ${prev} < ${none} AND ${cap} > ${prev})`;
    layer = `SELECT s.*, CASE WHEN ${applies} THEN ${cap} ELSE ${prev} END AS r${k + 1}, ${applies} AS c${k} FROM (${layer}) AS s OFFSET 0`;
  });
  const r = `g.r${disq.length}`;
  const pick = (field: (b: Band) => string) => `CASE ${r} ${ranked.map((b, i) => `WHEN ${i} THEN ${field(b)}`).join(' ')} ELSE NULL END`;
  // Only households a disqualifier capped pay for building the list.
  const capped = disq.length
    ? `CASE WHEN ${disq.map((_, k) => `g.c${k}`).join(' OR ')} THEN (SELECT COALESCE(jsonb_agg(x.v ORDER BY x.k), '[]'::jsonb) FROM (VALUES ${disq
        .map((d, k) => `(${k}, g.c${k}, jsonb_build_object('feature', ${sqlLiteral(d.feature)}, 'value', trim_scale(g."${d.feature}")::text, 'maxGrade', ${d.maxGrade === null ? 'NULL::text' : sqlLiteral(d.maxGrade)}))`)
        .join(', ')}) AS x(k, on_, v) WHERE x.on_) ELSE '[]'::jsonb END`
    : `'[]'::jsonb`;
  // Points in the fixed order of FEATURES, null for features the card does not use.
  const points = `ARRAY[${FEATURES.map((f) => {
    const i = card.features.findIndex((s) => s.feature === f);
    return i < 0 ? 'NULL::numeric' : `g.${p(i)}`;
  }).join(', ')}]::numeric[]`;
  return `SELECT g.*, ${points} AS points, ${pick((b) => sqlLiteral(b.grade))}::varchar AS grade, ${pick((b) => num(b.creditLine))} AS credit_line,
    ${pick((b) => sqlLiteral(b.rateTier))}::varchar AS rate_tier, ${capped} AS capped_by FROM (${layer}) AS g`;
}
