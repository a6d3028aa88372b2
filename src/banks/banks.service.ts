import { UsersService } from '../auth/users.service';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { AssetsService, CNY } from '../ledger/assets.service';
import { createHash, randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { createReadStream, createWriteStream, promises as fs } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Transform } from 'stream';
import { pipeline } from 'stream/promises';
import type { Response } from 'express';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../auth/api-keys.service';
import { actorRef, actorView, assertRegionInScope, KeyPrincipal, listScope } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { sqlLiteral } from '../platform/util/sql-literal';
import { requireTenant } from '../platform/database/tenant';
import { Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { shanghaiToday } from '../rules/rulesets.service';
import { CreateBankDto, CreateConsentDto, LoanDto } from './banks.dto';
import { countNewlines } from '../platform/util/count-lines';
import { SigningKeyService } from './signing-key.service';
import { BackgroundJobs } from '../platform/jobs/background-jobs';

/** A bank key's rate: a burst of 60 requests, refilled at 2 a second, across every instance. */

/** How often lapsed consents are written into their history. */
const CONSENT_SWEEP_MS = 60 * 60 * 1000;

/** A consent that lets `bank` read `household`'s credit grade today. */
const CURRENT_CONSENT = `c.tenant_id = $1 AND c.bank_id = $2 AND c.scope = 'credit-grade' AND c.revoked_at IS NULL AND c.expires_on >= $3::date`;


/**
 * The export as one COPY statement (COPY takes no parameters: every value is
 * one the service produced or validated, and quoted). CSV with a header line;
 * NDJSON as one JSON text per row, through CSV mode with quote and delimiter
 * characters that JSON text never contains, so each line is copied verbatim.
 */
export function exportCopySql(q: { tenantId: string; bankId: string; today: string; runId: string; regionCode: string; format: 'csv' | 'ndjson' }): string {
  const rows = `FROM grade_results r
   WHERE r.tenant_id = ${sqlLiteral(q.tenantId)} AND r.run_id = ${sqlLiteral(q.runId)} AND starts_with(r.region_code, ${sqlLiteral(q.regionCode)})
     AND EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = r.tenant_id AND c.bank_id = ${sqlLiteral(q.bankId)} AND c.scope = 'credit-grade'
                   AND c.revoked_at IS NULL AND c.expires_on >= ${sqlLiteral(q.today)}::date AND c.household_id = r.household_id)
   ORDER BY r.household_id`;
  if (q.format === 'csv') {
    return `COPY (SELECT r.household_id AS "householdRef", r.region_code AS "villageCode", r.grade AS "grade", r.score AS "score", r.credit_line AS "creditLine",
      r.rate_tier AS "rateTier" ${rows}) TO STDOUT WITH (FORMAT csv, HEADER)`;
  }
  return `COPY (SELECT json_build_object('householdRef', r.household_id, 'villageCode', r.region_code, 'grade', r.grade, 'score', r.score::text,
      'creditLine', r.credit_line::text, 'rateTier', r.rate_tier)::text ${rows})
    TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`;
}

/**
 * Banks, households' consents (PIPL art. 23: separate consent, one bank, one
 * purpose), and the bank API: a grade by ID number, a signed export of a
 * region, loans reported back. A bank sees a household only with its current
 * consent, and a household without one is 404 exactly like an unknown one.
 * Every bank read is logged (bank, key, endpoint, households returned, run).
 */
@Injectable()
export class BanksService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly holders: HoldersService,
    private readonly apiKeys: ApiKeysService,
    private readonly signing: SigningKeyService,
    private readonly assets: AssetsService,
    private readonly jobs: BackgroundJobs,
    private readonly users: UsersService,
  ) {}

  onModuleInit(): void {
    this.jobs.every('recording expired consents', CONSENT_SWEEP_MS, () => this.recordExpiredConsents());
    this.apiKeys.registerOwnerCheck('bankId', async (tenantId, id) => (await this.dataSource.query(`SELECT 1 FROM banks WHERE tenant_id = $1 AND id = $2`, [tenantId, id])).length > 0);
  }

  async createBank(p: KeyPrincipal, dto: CreateBankDto) {
    const id = randomUUID();
    await this.dataSource.query(`INSERT INTO banks (tenant_id, id, name) VALUES ($1, $2, $3)`, [p.tenantId, id, dto.name]);
    return { id, name: dto.name };
  }

  async listBanks(p: KeyPrincipal) {
    const rows = await this.dataSource.query(`SELECT id, name FROM banks WHERE tenant_id = $1 ORDER BY created_at, id`, [requireTenant(p.tenantId)]);
    return { items: rows, nextCursor: null };
  }

  private async bankExists(tenantId: string, id: string): Promise<boolean> {
    return (await this.dataSource.query(`SELECT 1 FROM banks WHERE tenant_id = $1 AND id = $2`, [tenantId, id])).length > 0;
  }

  // ---------------------------------------------------------------- consents

  async grantConsent(p: KeyPrincipal, dto: CreateConsentDto) {
    const h = await this.holders.find(p.tenantId, 'household', dto.householdId);
    if (!h) throw new NotFound(`household ${dto.householdId}`);
    assertRegionInScope(p, h.regionCode, `household ${dto.householdId}`);
    if (!(await this.bankExists(p.tenantId, dto.bankId))) throw new NotFound(`bank ${dto.bankId}`);
    if (dto.expiresOn < shanghaiToday()) throw new Unprocessable('expiresOn is in the past', 'consent-expired');
    const id = randomUUID();
    // The consent and its history's first event, in one statement.
    await this.dataSource.query(
      `WITH c AS (INSERT INTO consents (tenant_id, id, household_id, bank_id, scope, expires_on, document_ref, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                  RETURNING tenant_id, id, created_by, created_at)
       INSERT INTO consent_events (tenant_id, consent_id, event, actor, at) SELECT tenant_id, id, 'granted', created_by, created_at FROM c`,
      [p.tenantId, id, dto.householdId, dto.bankId, dto.scope, dto.expiresOn, dto.documentRef, actorRef(p)],
    );
    return { id, householdId: dto.householdId, bankId: dto.bankId, scope: dto.scope, expiresOn: dto.expiresOn, documentRef: dto.documentRef, status: 'active' };
  }

  async revokeConsent(p: KeyPrincipal, id: string) {
    const [c] = await this.dataSource.query(
      `SELECT c.id, c.revoked_at, h.village_code FROM consents c JOIN households h ON h.tenant_id = c.tenant_id AND h.id = c.household_id
        WHERE c.tenant_id = $1 AND c.id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!c) throw new NotFound(`consent ${id}`);
    assertRegionInScope(p, c.village_code, `consent ${id}`);
    const revoked = await this.dataSource.query(
      `WITH r AS (UPDATE consents SET revoked_at = now(), revoked_by = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING tenant_id, id, revoked_at)
       INSERT INTO consent_events (tenant_id, consent_id, event, actor, at) SELECT tenant_id, id, 'revoked', $3, revoked_at FROM r RETURNING at`,
      [p.tenantId, id, actorRef(p)],
    );
    // Revoked before (or by a twin request just now): the UPDATE matched no row.
    if (!revoked.length) throw new Conflict(`consent ${id} was revoked${c.revoked_at ? ` on ${c.revoked_at.toISOString()}` : ''}`, 'consent-revoked');
    return { id, status: 'revoked' as const };
  }

  /**
   * Records the expiry of consents whose last day has passed (once each): the
   * consent history says when a bank's access ended, not only that it did.
   */
  async recordExpiredConsents(tenantId: string | null = null, today = shanghaiToday(), consentId: string | null = null): Promise<number> {
    const rows = await this.dataSource.query(
      `INSERT INTO consent_events (tenant_id, consent_id, event, actor, at)
       SELECT c.tenant_id, c.id, 'expired', 'system', ((c.expires_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
         FROM consents c
        WHERE ($1::uuid IS NULL OR c.tenant_id = $1) AND ($3::uuid IS NULL OR c.id = $3) AND c.expires_on < $2::date AND c.revoked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.tenant_id = c.tenant_id AND e.consent_id = c.id AND e.event = 'expired')
       ON CONFLICT DO NOTHING RETURNING 1`,
      [tenantId, today, consentId],
    );
    return rows.length;
  }

  /** GET /v1/consents/{id}/history: granted, revoked, expired, with who and when; append-only in the database. */
  async consentHistory(p: KeyPrincipal, id: string) {
    const [c] = await this.dataSource.query(
      `SELECT h.village_code FROM consents c JOIN households h ON h.tenant_id = c.tenant_id AND h.id = c.household_id WHERE c.tenant_id = $1 AND c.id = $2`,
      [requireTenant(p.tenantId), id],
    );
    if (!c) throw new NotFound(`consent ${id}`);
    assertRegionInScope(p, c.village_code, `consent ${id}`);
    await this.recordExpiredConsents(p.tenantId, shanghaiToday(), id); // this consent only: the hourly job does the rest
    const rows: { event: string; actor: string; at: Date }[] = await this.dataSource.query(
      `SELECT event, actor, at FROM consent_events WHERE tenant_id = $1 AND consent_id = $2 ORDER BY id`,
      [p.tenantId, id],
    );
    const names = await this.users.actorNames(rows.map((r) => r.actor));
    return { consentId: id, items: rows.map((r) => ({ event: r.event, actor: actorView(r.actor, names), at: r.at.toISOString() })) };
  }

  async listConsents(p: KeyPrincipal, q: { householdId?: string; bankId?: string }) {
    const rows = await this.dataSource.query(
      `SELECT c.id, c.household_id, c.bank_id, c.scope, to_char(c.expires_on, 'YYYY-MM-DD') AS expires_on, c.document_ref, c.created_at, c.revoked_at
         FROM consents c JOIN households h ON h.tenant_id = c.tenant_id AND h.id = c.household_id
        WHERE c.tenant_id = $1 AND starts_with(h.village_code, $2) AND ($3::uuid IS NULL OR c.household_id = $3) AND ($4::uuid IS NULL OR c.bank_id = $4)
        ORDER BY c.created_at DESC, c.id LIMIT 500`,
      [requireTenant(p.tenantId), p.scopeRegionCode, q.householdId ?? null, q.bankId ?? null],
    );
    const today = shanghaiToday();
    return {
      items: rows.map((c: any) => ({
        id: c.id,
        householdId: c.household_id,
        bankId: c.bank_id,
        scope: c.scope,
        expiresOn: c.expires_on,
        documentRef: c.document_ref,
        status: c.revoked_at ? 'revoked' : c.expires_on < today ? 'expired' : 'active',
        createdAt: c.created_at.toISOString(),
        revokedAt: c.revoked_at?.toISOString() ?? null,
      })),
      nextCursor: null,
    };
  }

  // ---------------------------------------------------------------- the bank API

  private async log(p: KeyPrincipal, endpoint: string, households: number, runId: string | null): Promise<void> {
    await this.dataSource.query(`INSERT INTO bank_access_log (tenant_id, bank_id, key_id, endpoint, households, run_id) VALUES ($1, $2, $3, $4, $5, $6)`, [
      p.tenantId, p.bankId, p.keyId, endpoint, households, runId,
    ]);
  }

  /** The latest published run covering a region (its region is the region or above it). */
  private async latestRun(tenantId: string, regionCode: string): Promise<{ id: string; as_of: string } | null> {
    const [r] = await this.dataSource.query(
      `SELECT id, to_char(as_of, 'YYYY-MM-DD') AS as_of FROM grade_runs
        WHERE tenant_id = $1 AND status = 'published' AND starts_with($2, region_code) ORDER BY published_at DESC, id DESC LIMIT 1`,
      [tenantId, regionCode],
    );
    return r ?? null;
  }

  /** GET /v1/bank/grades?idNumber=: one consenting household's grade from the latest published run; 404 otherwise. */
  async gradeByIdNumber(p: KeyPrincipal, idNumber: string) {
    const bankId = p.bankId!; // a bank key's own bank; its rate limit was taken before the handler (BankRateLimitInterceptor)
    const endpoint = 'GET /v1/bank/grades';
    const notFound = async (runId: string | null) => {
      await this.log(p, endpoint, 0, runId);
      return new NotFound('a grade for this ID number');
    };
    const householdId = await this.holders.findHouseholdByIdNumber(p.tenantId, idNumber);
    if (!householdId) throw await notFound(null);
    const [consent] = await this.dataSource.query(`SELECT 1 FROM consents c WHERE ${CURRENT_CONSENT} AND c.household_id = $4`, [p.tenantId, bankId, shanghaiToday(), householdId]);
    if (!consent) throw await notFound(null);
    const h = (await this.holders.find(p.tenantId, 'household', householdId))!;
    const run = await this.latestRun(p.tenantId, h.regionCode);
    if (!run) throw await notFound(null);
    const [g] = await this.dataSource.query(
      `SELECT grade, score::text AS score, credit_line::text AS credit_line, rate_tier FROM grade_results WHERE tenant_id = $1 AND run_id = $2 AND household_id = $3`,
      [p.tenantId, run.id, householdId],
    );
    if (!g) throw await notFound(run.id);
    await this.log(p, endpoint, 1, run.id);
    return { householdRef: householdId, grade: g.grade, score: g.score, creditLine: g.credit_line, rateTier: g.rate_tier, asOf: run.as_of, runId: run.id };
  }

  /**
   * GET /v1/bank/grades/export: every consenting household of the latest
   * published run in a region, streamed from the database into a temporary
   * file while it is hashed (memory stays flat), then sent with its digest
   * and signature in the headers, which must precede the body.
   */
  async export(p: KeyPrincipal, regionCode: string | undefined, format: 'csv' | 'ndjson', res: Response): Promise<void> {
    const bankId = p.bankId!;
    const region = regionCode ?? p.scopeRegionCode;
    const run = await this.latestRun(p.tenantId, region);
    if (!run) {
      await this.log(p, 'GET /v1/bank/grades/export', 0, null);
      throw new NotFound(`a published grade run for ${region}`);
    }
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'jifen-export-'));
    const file = path.join(dir, `export.${format}`);
    try {
      const hash = createHash('sha256');
      let lines = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          lines += countNewlines(chunk);
          done(null, chunk);
        },
      });
      const qr = this.dataSource.createQueryRunner();
      await qr.connect();
      try {
        // COPY streams the rows in PostgreSQL's own formatting, one snapshot, straight to the file.
        const out = (qr as unknown as { databaseConnection: PoolClient }).databaseConnection.query(copyTo(exportCopySql({ tenantId: p.tenantId, bankId, today: shanghaiToday(), runId: run.id, regionCode: region, format })));
        await pipeline(out, count, createWriteStream(file, { highWaterMark: 1 << 20 }));
      } finally {
        await qr.release();
      }
      const households = format === 'csv' ? lines - 1 : lines;
      const digest = hash.digest('hex');
      await this.log(p, 'GET /v1/bank/grades/export', households, run.id);
      res.status(200);
      res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      res.setHeader('X-Export-Digest', digest);
      res.setHeader('X-Export-Run-Id', run.id);
      res.setHeader('X-Export-As-Of', run.as_of);
      res.setHeader('X-Export-Households', String(households));
      const signed = await this.signing.sign(p.tenantId, SigningKeyService.message(digest, run.id, bankId));
      res.setHeader('X-Export-Signature', signed.signature);
      res.setHeader('X-Export-Key-Id', signed.keyId);
      await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), res);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** POST /v1/bank/loans: a loan granted to a consenting household. */
  async reportLoan(p: KeyPrincipal, dto: LoanDto) {
    const bankId = p.bankId!;
    const [consent] = await this.dataSource.query(`SELECT 1 FROM consents c WHERE ${CURRENT_CONSENT} AND c.household_id = $4`, [p.tenantId, bankId, shanghaiToday(), dto.householdRef]);
    if (!consent) throw new NotFound(`household ${dto.householdRef}`);
    const id = randomUUID();
    await this.dataSource.query(
      `INSERT INTO bank_loans (tenant_id, id, bank_id, household_id, amount, rate, granted_on, reported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [p.tenantId, id, bankId, dto.householdRef, dto.amount, dto.rate, dto.grantedOn, actorRef(p)],
    );
    return { id, householdRef: dto.householdRef, amount: dto.amount, rate: dto.rate, grantedOn: dto.grantedOn };
  }

  /** GET /v1/bank-access-log: who read what, when, from which run. */
  async accessLog(p: KeyPrincipal, q: { bankId?: string; from?: string; to?: string }) {
    const rows = await this.dataSource.query(
      `SELECT l.id::text AS id, l.bank_id, l.key_id, l.endpoint, l.households, l.run_id, l.at FROM bank_access_log l
        WHERE l.tenant_id = $1 AND ($2::uuid IS NULL OR l.bank_id = $2) AND ($3::timestamptz IS NULL OR l.at >= $3) AND ($4::timestamptz IS NULL OR l.at < $4)
        ORDER BY l.at DESC, l.id DESC LIMIT 1000`,
      [requireTenant(p.tenantId), q.bankId ?? null, q.from ?? null, q.to ?? null],
    );
    return {
      items: rows.map((r: any) => ({ id: r.id, bankId: r.bank_id, keyId: r.key_id, endpoint: r.endpoint, households: r.households, runId: r.run_id, at: r.at.toISOString() })),
      nextCursor: null,
    };
  }

  /** Consenting households, loans and amounts per village: the figures a county reports ("755 signed, 189 loans, 32 million"). */
  async creditReport(p: KeyPrincipal, regionCode?: string) {
    const today = shanghaiToday();
    const rows = await this.dataSource.query(
      `SELECT h.village_code,
              count(DISTINCT c.household_id) FILTER (WHERE c.revoked_at IS NULL AND c.expires_on >= $3::date) AS consented,
              (SELECT count(*) FROM bank_loans l JOIN households lh ON lh.tenant_id = l.tenant_id AND lh.id = l.household_id
                WHERE l.tenant_id = $1 AND lh.village_code = h.village_code) AS loans,
              (SELECT COALESCE(sum(l.amount), 0)::text FROM bank_loans l JOIN households lh ON lh.tenant_id = l.tenant_id AND lh.id = l.household_id
                WHERE l.tenant_id = $1 AND lh.village_code = h.village_code) AS amount
         FROM households h LEFT JOIN consents c ON c.tenant_id = h.tenant_id AND c.household_id = h.id
        WHERE h.tenant_id = $1 AND starts_with(h.village_code, $2)
        GROUP BY h.village_code ORDER BY h.village_code`,
      [requireTenant(p.tenantId), listScope(p, regionCode), today],
    );
    const villages = rows
      .map((r: any) => ({ villageCode: r.village_code, consentedHouseholds: Number(r.consented), loans: Number(r.loans), amount: r.amount }))
      .filter((v: any) => v.consentedHouseholds || v.loans);
    const sum = (f: (v: any) => number) => villages.reduce((s: number, v: any) => s + f(v), 0);
    const amount = villages.reduce((s: Decimal, v: any) => s.plus(v.amount), new Decimal(0));
    const amounts = await this.assets.amounts(p.tenantId);
    return {
      villages: villages.map((v: any) => ({ ...v, amount: amounts.format(v.amount, CNY) })),
      totals: { consentedHouseholds: sum((v) => v.consentedHouseholds), loans: sum((v) => v.loans), amount: amounts.format(amount, CNY) },
    };
  }
}
