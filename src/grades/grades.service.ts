import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, KeyPrincipal, listScope, regionRelated } from '../auth/principal';
import { sqlLiteral } from '../platform/util/sql-literal';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { onLane } from '../platform/database/db-context';
import { BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { maskName } from '../platform/util/public-page';
import { shanghaiToday } from '../rules/rulesets.service';
import { TenancyService } from '../tenancy/tenancy.service';
import { LedgerAudit } from '../ledger/ledger-audit.service';
import { bandsByRank, DEFAULT_WINDOW_DAYS, Feature, FEATURES, grade, gradingSql, ScorecardDocument, scorecardProblems } from './domain/scorecard';
import { CreateGradeRunDto, CreateScorecardDto, PublicGradesView } from './grades.dto';
import { queryRows } from '../platform/database/query-rows';



/**
 * Every feature of every household of a region as of a day, in one statement
 * of set-based SQL over the entries, records, service records and sanctions
 * (never a query per household); one numeric column per feature. Each
 * feature is MATERIALIZED: computed once and then joined, whatever the
 * planner guesses from fresh statistics (a nested loop re-running the XIAOSHAN
 * lookups per household cost 30 s on a just-loaded demo). "As of" a day
 * counts business dates (issue 20): balances and conduct points by the day
 * they were effective, debit items by the day they occurred, volunteer hours
 * by the day they were served, enrolment from enrolledOn; sanctions by when
 * they were in force. Values are
 * inlined (COPY takes no parameters); each is validated before it gets here.
 */
export function featuresSql(q: { tenantId: string; regionCode: string; asOf: string; current?: boolean; windows: Record<'conductNet' | 'debitItems' | 'volunteerHours', number> }): string {
  if (!/^[0-9a-f-]{36}$/i.test(q.tenantId) || !/^\d{6,12}$/.test(q.regionCode) || !/^\d{4}-\d{2}-\d{2}$/.test(q.asOf) || !Object.values(q.windows).every(Number.isInteger)) {
    throw new Error('featuresSql: invalid arguments');
  }
  const [t, region, asOf] = [`${sqlLiteral(q.tenantId)}::uuid`, sqlLiteral(q.regionCode), `${sqlLiteral(q.asOf)}::date`];
  return `
WITH params AS (SELECT ((${asOf} + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS cutoff),
hh AS (
  SELECT h.id, h.village_code, h.enrolled_on FROM households h
   WHERE h.tenant_id = ${t} AND starts_with(h.village_code, ${region}) AND h.enrolled_on <= ${asOf}
),
xs AS MATERIALIZED (${
    q.current
      ? // As of today the balance is the account's own: no lookup per account.
        `
  SELECT b.holder_id, b.balance AS v FROM ledger_holder_balances b
   WHERE b.tenant_id = ${t} AND b.holder_type = 'household' AND b.asset_code = 'XIAOSHAN' AND starts_with(b.region_code, ${region})`
      : `
  SELECT b.holder_id, last.balance AS v
    FROM ledger_holder_balances b
    CROSS JOIN LATERAL (
      SELECT d.balance FROM ledger_holder_days d
       WHERE d.tenant_id = b.tenant_id AND d.account_id = b.account_id AND d.day <= ${asOf}
       ORDER BY d.day DESC LIMIT 1) AS last
   WHERE b.tenant_id = ${t} AND b.holder_type = 'household' AND b.asset_code = 'XIAOSHAN' AND starts_with(b.region_code, ${region})`
  }
),
cn AS MATERIALIZED (
  SELECT e.holder_id, sum(e.amount) AS v
    FROM ledger_holder_entries e
   WHERE e.tenant_id = ${t} AND e.holder_type = 'household' AND e.asset_code = 'CONDUCT' AND starts_with(e.region_code, ${region})
     AND e.effective_on > ${asOf} - ${q.windows.conductNet} AND e.effective_on <= ${asOf}
   GROUP BY e.holder_id
),
di AS MATERIALIZED (
  SELECT r.holder_id::text AS holder_id, count(*) AS v FROM records r
   WHERE r.tenant_id = ${t} AND r.holder_type = 'household' AND r.asset_code = 'CONDUCT' AND r.direction = 'debit' AND starts_with(r.region_code, ${region})
     AND r.transaction_id IS NOT NULL AND r.reversal_transaction_id IS NULL
     AND r.occurred_on > ${asOf} - ${q.windows.debitItems} AND r.occurred_on <= ${asOf}
   GROUP BY r.holder_id
),
vh AS MATERIALIZED (
  SELECT p.household_id::text AS holder_id, sum(s.hours) AS v
    FROM service_records s CROSS JOIN params
    JOIN people p ON p.tenant_id = s.tenant_id AND p.id = s.person_id
   WHERE s.tenant_id = ${t} AND starts_with(s.region_code, ${region}) AND s.status = 'verified'
     AND s.starts_at >= params.cutoff - make_interval(days => ${q.windows.volunteerHours}) AND s.starts_at < params.cutoff AND p.household_id IS NOT NULL
   GROUP BY p.household_id
),
sa AS MATERIALIZED (
  SELECT DISTINCT s.household_id::text AS holder_id FROM sanctions s CROSS JOIN params
   WHERE s.tenant_id = ${t} AND s.activated_at < params.cutoff AND (s.lifted_at IS NULL OR s.lifted_at >= params.cutoff)
)
SELECT hh.id, hh.village_code,
       COALESCE(xs.v, 0)::numeric AS "xiaoshanBalance", COALESCE(cn.v, 0)::numeric AS "conductNet", COALESCE(di.v, 0)::numeric AS "debitItems",
       COALESCE(vh.v, 0)::numeric AS "volunteerHours", (sa.holder_id IS NOT NULL)::int::numeric AS "sanctioned",
       floor((${asOf} - hh.enrolled_on) / 365.25)::numeric AS "yearsEnrolled"
  FROM hh
  LEFT JOIN xs ON xs.holder_id = hh.id::text
  LEFT JOIN cn ON cn.holder_id = hh.id::text
  LEFT JOIN di ON di.holder_id = hh.id::text
  LEFT JOIN vh ON vh.holder_id = hh.id::text
  LEFT JOIN sa ON sa.holder_id = hh.id::text`;
}

export const windowOf = (card: ScorecardDocument, f: Feature) => card.features.find((x) => x.feature === f)?.windowDays ?? DEFAULT_WINDOW_DAYS;

/** One household's line of a run, numerics as text. */
interface ResultRow {
  household_id: string;
  region_code: string;
  features: (string | null)[];
  points: (string | null)[];
  score: string | null;
  grade: string | null;
  credit_line: string | null;
  rate_tier: string | null;
  capped_by: string[] | null;
}

interface RunRow {
  id: string;
  region_code: string;
  as_of: string;
  scorecard_id: string;
  scorecard_version: number;
  status: 'draft' | 'published';
  households: number;
  distribution: Record<string, number>;
  created_at: Date;
  published_at: Date | null;
}

const RUN_COLUMNS = `id, region_code, to_char(as_of, 'YYYY-MM-DD') AS as_of, scorecard_id, scorecard_version, status, households, distribution, created_at, published_at`;

const runView = (r: RunRow) => ({
  id: r.id,
  regionCode: r.region_code,
  asOf: r.as_of,
  scorecardId: r.scorecard_id,
  scorecardVersion: r.scorecard_version,
  status: r.status,
  households: r.households,
  distribution: r.distribution,
  createdAt: r.created_at.toISOString(),
  publishedAt: r.published_at?.toISOString() ?? null,
});

/**
 * Scorecards and grade runs (孝善信用评级). A run computes every household of a
 * region as of a day from one consistent snapshot (a REPEATABLE READ, read-only
 * transaction whose snapshot the writing transaction imports; features,
 * scores and grades in one set-based INSERT … SELECT), then stores per household the feature values, points, score and grade, so any
 * grade can be explained line by line. Publishing (公示) freezes it.
 */
@Injectable()
export class GradesService {
  private readonly logger = new Logger('GradeRuns');

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly tenancy: TenancyService,
    private readonly audit: LedgerAudit,
  ) {}

  // ---------------------------------------------------------------- scorecards

  async createScorecard(p: KeyPrincipal, dto: CreateScorecardDto) {
    const doc = JSON.parse(JSON.stringify(dto)) as ScorecardDocument;
    const problems = scorecardProblems(doc);
    if (problems.length) throw new BadInput('the scorecard is not valid', problems);
    return this.uow.run(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`jifen.scorecard.${p.tenantId}.${dto.name}`]);
      const [{ v }] = await queryRows<{ v: number }>(m, `SELECT COALESCE(max(version), 0) + 1 AS v FROM scorecards WHERE tenant_id = $1 AND name = $2`, [p.tenantId, dto.name]);
      const id = randomUUID();
      await m.query(`INSERT INTO scorecards (tenant_id, id, name, version, document, created_by) VALUES ($1, $2, $3, $4, $5, $6)`, [
        p.tenantId, id, dto.name, v, JSON.stringify(doc), actorRef(p),
      ]);
      return { id, version: v, ...doc };
    });
  }

  async scorecard(tenantId: string, id: string, m: EntityManager = this.dataSource.manager): Promise<{ id: string; version: number; document: ScorecardDocument }> {
    const [s] = await queryRows<{ id: string; version: number; document: ScorecardDocument }>(m, `SELECT id, version, document FROM scorecards WHERE tenant_id = $1 AND id = $2`, [requireTenant(tenantId), id]);
    if (!s) throw new NotFound(`scorecard ${id}`);
    return s;
  }

  async getScorecard(p: KeyPrincipal, id: string) {
    const s = await this.scorecard(p.tenantId, id);
    return { id: s.id, version: s.version, ...s.document };
  }

  async listScorecards(p: KeyPrincipal) {
    const rows = await queryRows<{ id: string; name: string; version: number; created_at: Date }>(
      this.dataSource,
      `SELECT id, name, version, created_at FROM scorecards WHERE tenant_id = $1 ORDER BY name, version DESC`,
      [requireTenant(p.tenantId)],
    );
    return { items: rows.map((r) => ({ id: r.id, name: r.name, version: r.version, createdAt: r.created_at.toISOString() })), nextCursor: null };
  }

  // ---------------------------------------------------------------- runs

  /** A grade run is bulk work: on the job lane, with no statement_timeout, off the connections requests use. */
  createRun(p: KeyPrincipal, dto: CreateGradeRunDto, progress?: (done: number) => void) {
    return onLane('job', () => this.runOnJobLane(p, dto, progress));
  }

  private async runOnJobLane(p: KeyPrincipal, dto: CreateGradeRunDto, progress?: (done: number) => void) {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    if (dto.asOf > shanghaiToday()) throw new Unprocessable('asOf is in the future', 'future-date');
    const card = await this.scorecard(p.tenantId, dto.scorecardId);
    const doc = card.document;
    const id = randomUUID();
    const source = featuresSql({
      tenantId: p.tenantId,
      regionCode: dto.regionCode,
      asOf: dto.asOf,
      current: dto.asOf >= shanghaiToday(),
      windows: { conductNet: windowOf(doc, 'conductNet'), debitItems: windowOf(doc, 'debitItems'), volunteerHours: windowOf(doc, 'volunteerHours') },
    });
    const values = `ARRAY[${FEATURES.map((f) => `g."${f}"`).join(', ')}]::numeric[]`;
    const graded = `SELECT '${p.tenantId}'::uuid, '${id}'::uuid, g.id, g.village_code, ${values}, g.points, g.score, g.grade, g.credit_line, g.rate_tier, g.capped_by
      FROM (${gradingSql(doc, source)}) AS g`;

    // The read: one REPEATABLE READ, read-only snapshot for every household. The
    // write: another transaction that imports that very snapshot
    // (pg_export_snapshot / SET TRANSACTION SNAPSHOT) and grades and stores every
    // household in one INSERT … SELECT, so the rows never leave PostgreSQL.
    const reader = this.dataSource.createQueryRunner();
    const writer = this.dataSource.createQueryRunner();
    await reader.connect();
    await writer.connect();
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const [{ snapshot }] = await queryRows<{ snapshot: string }>(reader, 'SELECT pg_export_snapshot() AS snapshot');
      await writer.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await writer.query(`SET TRANSACTION SNAPSHOT ${sqlLiteral(snapshot)}`);
      await writer.query(
        `INSERT INTO grade_runs (tenant_id, id, region_code, as_of, scorecard_id, scorecard_version, status, households, distribution, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', 0, '{}', $7)`,
        [p.tenantId, id, dto.regionCode, dto.asOf, card.id, card.version, actorRef(p)],
      );
      this.logger.log(`评级计算中：${dto.regionCode}，基准日 ${dto.asOf}`);
      await writer.query(
        `INSERT INTO grade_results (tenant_id, run_id, household_id, region_code, features, points, score, grade, credit_line, rate_tier, capped_by) ${graded}`,
      );
      const [summary] = await queryRows<{ n: number; counts: Record<string, number> | null; mean: string | null }>(
        writer,
        `SELECT COALESCE(sum(k), 0)::int AS n, jsonb_object_agg(grade_key, k) AS counts, round(sum(total) / NULLIF(sum(k), 0), 2)::text AS mean FROM (
           SELECT COALESCE(grade, 'ungraded') AS grade_key, count(*)::int AS k, sum(score) AS total FROM grade_results WHERE tenant_id = $1 AND run_id = $2 GROUP BY grade
         ) AS x`,
        [p.tenantId, id],
      );
      const zeros = Object.fromEntries<number>([...bandsByRank(doc.bands).map((b): [string, number] => [b.grade, 0]), ['ungraded', 0]]);
      const distribution = { ...zeros, ...(summary.counts ?? {}), meanScore: summary.mean };
      await writer.query(`UPDATE grade_runs SET households = $3, distribution = $4 WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, summary.n, JSON.stringify(distribution)]);
      await writer.query('COMMIT');
      await reader.query('COMMIT');
      progress?.(summary.n);
      this.logger.log(`评级完成：${summary.n} 户`);
      return { id, regionCode: dto.regionCode, asOf: dto.asOf, status: 'draft' as const, households: summary.n, distribution };
    } catch (e) {
      await writer.query('ROLLBACK').catch(() => undefined);
      await reader.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      await reader.release();
      await writer.release();
    }
  }

  private async run(p: KeyPrincipal, id: string, m: EntityManager = this.dataSource.manager, lock = false): Promise<RunRow> {
    const [r] = await queryRows<RunRow>(m, `SELECT ${RUN_COLUMNS} FROM grade_runs WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`, [requireTenant(p.tenantId), id]);
    if (!r || !regionRelated(p, r.region_code)) throw new NotFound(`grade run ${id}`);
    return r;
  }

  async getRun(p: KeyPrincipal, id: string) {
    return runView(await this.run(p, id));
  }

  async listRuns(p: KeyPrincipal, regionCode?: string) {
    const rows = await queryRows<RunRow>(
      this.dataSource,
      `SELECT ${RUN_COLUMNS} FROM grade_runs WHERE tenant_id = $1 AND (starts_with(region_code, $2) OR starts_with($2, region_code)) ORDER BY created_at DESC, id DESC LIMIT 100`,
      [requireTenant(p.tenantId), listScope(p, regionCode)],
    );
    return { items: rows.map(runView), nextCursor: null };
  }

  /** 公示: the run becomes immutable and is what banks and the public see. */
  async publish(p: KeyPrincipal, id: string) {
    // Refused before anything is written; then sealed, so that the anchor covers everything posted before the list.
    if ((await this.run(p, id)).status === 'published') throw new Conflict(`grade run ${id} is already published`, 'run-published');
    await this.audit.sealForPublication(p.tenantId);
    return this.uow.run(async (m) => {
      const r = await this.run(p, id, m, true);
      if (r.status === 'published') throw new Conflict(`grade run ${id} is already published`, 'run-published');
      await m.query(`UPDATE grade_runs SET status = 'published', published_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      const ledgerAnchor = await this.audit.anchor(m, p.tenantId, { type: 'grades', id, regionCode: r.region_code });
      return { ...runView(await this.run(p, id, m)), ledgerAnchor };
    });
  }

  /**
   * GET /public/grades/{villageCode}: the village's households in the latest
   * published run covering it, names masked, grades only (张榜公示). Null before any publication.
   */
  async publicGrades(villageCode: string): Promise<PublicGradesView | null> {
    const tenant = await this.tenancy.tenantForRegionCode(villageCode);
    if (!tenant) return null;
    const region = await this.tenancy.findRegion(tenant.id, villageCode);
    if (!region || region.level !== 'village') return null;
    const [run] = await queryRows<{ id: string; as_of: string; published_at: Date; scorecard_id: string }>(
      this.dataSource,
      `SELECT id, to_char(as_of, 'YYYY-MM-DD') AS as_of, published_at, scorecard_id FROM grade_runs
        WHERE tenant_id = $1 AND status = 'published' AND starts_with($2, region_code) ORDER BY published_at DESC, id DESC LIMIT 1`,
      [tenant.id, villageCode],
    );
    if (!run) return null;
    const card = await this.scorecard(tenant.id, run.scorecard_id);
    const rank = new Map(bandsByRank(card.document.bands).map((b, i) => [b.grade, i]));
    const rows = await queryRows<{ head_name: string; grade: string | null }>(
      this.dataSource,
      `SELECT h.head_name, g.grade FROM grade_results g JOIN households h ON h.tenant_id = g.tenant_id AND h.id = g.household_id
        WHERE g.tenant_id = $1 AND g.run_id = $2 AND g.region_code = $3`,
      [tenant.id, run.id, villageCode],
    );
    const households = rows
      .map((r) => ({ name: maskName(r.head_name), grade: r.grade }))
      .sort((a, b) => (rank.get(a.grade ?? '') ?? 99) - (rank.get(b.grade ?? '') ?? 99) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const ledgerAnchor = await this.audit.anchorOf(tenant.id, 'grades', run.id);
    return { villageCode, villageName: region.name, asOf: run.as_of, publishedAt: run.published_at.toISOString(), scorecard: card.document.name, households, ledgerAnchor };
  }

  /** GET /v1/grade-runs/{id}/households/{householdId}: the grade line by line. */
  async explain(p: KeyPrincipal, runId: string, householdId: string) {
    const run = await this.run(p, runId);
    const [r] = await queryRows<ResultRow>(
      this.dataSource,
      `SELECT household_id, region_code, features::text[] AS features, points::text[] AS points, score::text AS score, grade, credit_line::text AS credit_line, rate_tier, capped_by
         FROM grade_results WHERE tenant_id = $1 AND run_id = $2 AND household_id = $3`,
      [p.tenantId, runId, householdId],
    );
    if (!r || !r.region_code.startsWith(p.scopeRegionCode)) throw new NotFound(`household ${householdId} in grade run ${runId}`);
    const card = await this.scorecard(p.tenantId, run.scorecard_id);
    const values = Object.fromEntries(FEATURES.map((f, i) => [f, new Decimal(r.features[i] ?? 0)])) as Record<Feature, Decimal>;
    const g = grade(card.document, values);
    return {
      runId,
      householdId,
      asOf: run.as_of,
      scorecard: { id: card.id, name: card.document.name, version: card.version },
      features: g.features.map((f) => {
        const stored = r.points[FEATURES.indexOf(f.feature)];
        return {
          ...f,
          windowDays: card.document.features.find((x) => x.feature === f.feature)?.windowDays ?? (['conductNet', 'debitItems', 'volunteerHours'].includes(f.feature) ? DEFAULT_WINDOW_DAYS : null),
          points: stored == null ? f.points : new Decimal(stored).toFixed(),
        };
      }),
      score: r.score,
      scoredGrade: g.scoredGrade,
      disqualifiers: r.capped_by,
      grade: r.grade,
      creditLine: r.credit_line,
      rateTier: r.rate_tier,
    };
  }
}
