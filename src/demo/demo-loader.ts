import type { INestApplicationContext } from '@nestjs/common';
import Decimal from 'decimal.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../auth/api-keys.service';
import type { KeyPrincipal, Role } from '../auth/principal';
import { BanksService } from '../banks/banks.service';
import { BoardsService } from '../boards/boards.service';
import { GradesService } from '../grades/grades.service';
import { HoldersService } from '../holders/holders.service';
import { idCheckDigit } from '../platform/crypto/pii';
import { mapError } from '../platform/http/app-error';
import { FundsService } from '../funds/funds.service';
import { RedemptionsService } from '../redemption/redemptions.service';
import { SettlementsService } from '../funds/settlements.service';
import { ShopsService } from '../redemption/shops.service';
import { RecordsService } from '../records/records.service';
import { RecordsImportService } from '../records/records-import.service';
import { Readable } from 'stream';
import { RuleSetsService } from '../rules/rulesets.service';
import { addDays, shanghaiToday } from '../platform/util/business-date';
import { TenancyService } from '../tenancy/tenancy.service';
import { VolunteeringService } from '../volunteering/volunteering.service';
import { ServiceOrdersService } from '../service-orders/service-orders.service';
import { UsersService } from '../auth/users.service';
import { GoLiveService } from '../golive/golive.service';
import { EvidenceService } from '../evidence/evidence.service';
import sharp from 'sharp';

/** What `npm start` prints and `npm run tour` reads: the demo's keys and a few facts to walk through. */
export interface DemoFacts {
  tenantId: string;
  county: string;
  keys: Partial<Record<Role, string>>;
  /** One user per role a person holds: who, and the phone and password to sign in with. */
  users?: Partial<Record<Role, { name: string; phone: string; password: string }>>;
  /** A household of 泉秀村 with a PIN, consent for the demo bank and a known ID number. */
  tour: { householdId: string; idNumber: string; pin: string; cardPath: string; villageCode: string; shopId: string; bankId: string; fundId: string; personIds: string[]; boardPeriod: string; checkedInActivityId: string };
}

interface DemoConfig {
  county: { code: string; name: string };
  townships: { code: string; name: string; villages: { code: string; name: string }[] }[];
  householdsPerVillage: number;
  withPin: number;
  programs: string[];
  scorecard: string;
  fund: { name: string; conversionRate: string; coverageAlertBelow: string };
  donors: string[];
  shops: { name: string; village?: number; township?: number; acceptedAssets: string[]; rates: Record<string, string>; items: { sku: string; name: string; asset: string; price: string; stock: number }[] }[];
  bank: { name: string };
  surnames: string;
  givenNames: string;
}

const PIN = '123456';
/** The demo users' password (printed at start; a real county's users choose their own). */
const DEMO_PASSWORD = 'jifen-2026';

/** A small deterministic PRNG, so every fresh demo is the same county. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

const previousMonth = (today: string) => {
  const [y, m] = today.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
};

/** Credit and debit items of the Kaizhou set that the demo's clerks enter, with how often. */
const CONDUCT_ITEMS: { code: string; weight: number; hourly?: boolean; evidence?: boolean }[] = [
  { code: 'R01', weight: 6 },
  { code: 'R02', weight: 4 },
  { code: 'R04', weight: 6 },
  { code: 'R05', weight: 4, hourly: true },
  { code: 'R07', weight: 6 },
  { code: 'R03', weight: 1, evidence: true },
  { code: 'R06', weight: 1, evidence: true },
  { code: 'Y03', weight: 2 },
  { code: 'Y05', weight: 1 },
  { code: 'Y09', weight: 1 },
];

/**
 * Loads the demo county from config/demo/ through the same services the API
 * uses: regions, keys, the three shipped programs, a few hundred households
 * and people with synthetic Chinese names, three months of conduct records
 * through the workflow (entered, approved, in notice, some objected, posted),
 * volunteer activities and verified hours, a fund with donations, two shops
 * with items, redemptions and a paid settlement, a bank with consents, a
 * published grade run and last month's published boards. Loading is skipped
 * when the county exists already, so starting twice changes nothing.
 */
export class DemoLoader {
  constructor(
    private readonly app: INestApplicationContext,
    private readonly dataDir: string,
    private readonly say: (line: string) => void,
  ) {}

  private get<T>(type: new (...args: never[]) => T): T {
    return this.app.get(type as never, { strict: false }) as T;
  }

  factsFile(): string {
    return path.join(this.dataDir, 'demo-keys.json');
  }

  /** The facts of an already loaded demo, if this data directory has them. */
  readFacts(): DemoFacts | null {
    return existsSync(this.factsFile()) ? (JSON.parse(readFileSync(this.factsFile(), 'utf8')) as DemoFacts) : null;
  }

  async load(configDir = path.join(process.cwd(), 'config'), options: { scale?: number } = {}): Promise<{ loaded: boolean; facts: DemoFacts | null }> {
    const cfg = JSON.parse(readFileSync(path.join(configDir, 'demo', 'county.json'), 'utf8')) as DemoConfig;
    const tenancy = this.get(TenancyService);
    if (await tenancy.tenantForRegionCode(cfg.county.code)) {
      this.say('演示县已存在，跳过加载（DEMO=false 可关闭演示）。');
      return { loaded: false, facts: this.readFacts() };
    }
    const started = Date.now();
    const rnd = prng(2026);
    const today = shanghaiToday();
    const perVillage = Math.max(4, Math.round(cfg.householdsPerVillage * (options.scale ?? 1)));
    const step = (label: string) => this.say(`演示数据：${label}（${((Date.now() - started) / 1000).toFixed(1)} 秒）`);

    // County, townships, villages.
    const tenant = await tenancy.createTenant({ regionCode: cfg.county.code, name: cfg.county.name });
    const platform = { kind: 'platform' as const };
    for (const t of cfg.townships) {
      await tenancy.createRegion(platform, { code: t.code, name: t.name, parentCode: cfg.county.code });
      for (const v of t.villages) await tenancy.createRegion(platform, { code: v.code, name: v.name, parentCode: t.code });
    }
    const villages = cfg.townships.flatMap((t, ti) => t.villages.map((v) => ({ ...v, township: ti })));

    // Keys: one per role to print, and a clerk and reviewer per township for the records.
    const apiKeys = this.get(ApiKeysService);
    const issue = async (role: Role, name: string, extra: { scopeRegionCode?: string; shopId?: string; bankId?: string } = {}) => {
      const k = await apiKeys.issue(platform, { tenantId: tenant.id, name, role, ...extra } as never);
      const principal: KeyPrincipal = { kind: 'key', keyId: k.id, tenantId: tenant.id, role, scopeRegionCode: k.scopeRegionCode, shopId: k.shopId, bankId: k.bankId, actor: { type: 'key', id: k.id, name: k.name } };
      return { key: k.apiKey, p: principal };
    };
    const admin = await issue('admin', '演示：县文明实践中心管理员');
    const auditor = await issue('auditor', '演示：审计');
    const clerks = [await issue('clerk', '演示：关面乡文书', { scopeRegionCode: cfg.townships[0].code }), await issue('clerk', '演示：白泉乡文书', { scopeRegionCode: cfg.townships[1].code })];
    const reviewers = [await issue('reviewer', '演示：关面乡实践站站长', { scopeRegionCode: cfg.townships[0].code }), await issue('reviewer', '演示：白泉乡实践站站长', { scopeRegionCode: cfg.townships[1].code })];
    const organizers = [await issue('organizer', '演示：关面乡志愿服务队', { scopeRegionCode: cfg.townships[0].code }), await issue('organizer', '演示：白泉乡志愿服务队', { scopeRegionCode: cfg.townships[1].code })];
    step('地区与密钥');

    // The three programs, in force for the whole history.
    const ruleSets = this.get(RuleSetsService);
    for (const file of cfg.programs) {
      const doc = JSON.parse(readFileSync(path.join(configDir, 'programs', file), 'utf8'));
      const set = await ruleSets.create(admin.p, { ...doc, regionCode: cfg.county.code });
      await ruleSets.activate(admin.p, set.id);
    }
    step('积分规则（红黄双十条、益币、孝善）');

    // Households and people.
    const holders = this.get(HoldersService);
    const households: { id: string; no: string; village: number; name: string; idNumber: string; pin: boolean; enrolledOn: string }[] = [];
    const people: { id: string; village: number; household: string }[] = [];
    let serial = 0;
    const name = () => rnd.pick([...cfg.surnames]) + rnd.pick([...cfg.givenNames]) + (rnd.next() < 0.7 ? rnd.pick([...cfg.givenNames]) : '');
    for (const [vi, v] of villages.entries()) {
      const clerk = clerks[v.township];
      for (let i = 0; i < perVillage; i++) {
        serial++;
        const first17 = `${cfg.county.code}19${String(50 + (serial % 40)).padStart(2, '0')}${String(1 + (serial % 12)).padStart(2, '0')}${String(1 + (serial % 28)).padStart(2, '0')}${String(serial).padStart(3, '0').slice(-3)}`;
        const idNumber = first17 + idCheckDigit(first17);
        const head = name();
        const pin = i % cfg.withPin === 0;
        // Households joined the program over the last six years (the program ran on paper before jifen).
        const enrolledOn = addDays(today, -(20 + rnd.int(6 * 365)));
        const h = await holders.createHousehold(clerk.p, { villageCode: v.code, headName: head, headIdNumber: idNumber, enrolledOn, ...(pin ? { pin: PIN } : {}) });
        households.push({ id: h.id, no: h.no, village: vi, name: head, idNumber, pin, enrolledOn });
        if (i % 3 === 0) {
          const person = await holders.createPerson(clerk.p, { name: head.slice(0, 1) + rnd.pick([...cfg.givenNames]) + rnd.pick([...cfg.givenNames]), regionCode: v.code, householdId: h.id });
          people.push({ id: person.id, village: vi, household: h.id });
        }
      }
    }
    step(`${households.length} 户农户、${people.length} 名志愿者（入户多在上线以前：开户初始积分随上线迁移按入户日发放）`);

    // Go-live: the paper ledger comes in as a migration, each posting effective on its own day:
    // balances as of ten months ago, and the decisions of the first two of the three months.
    const pool = CONDUCT_ITEMS.flatMap((it) => Array.from({ length: it.weight }, () => it));
    const golive = this.get(GoLiveService);
    const secondAdmin = await issue('admin', '演示：县文明实践中心副主任');
    const migration = await golive.create(admin.p, { name: '开州区 2026 年纸质积分台账', reference: '各村积分台账（纸质）第 1–4 册' });
    const paperDay = addDays(today, -300);
    const openingCsv = ['户号,积分种类,余额,截至日期'];
    for (const h of households) {
      // The paper book's balance of a household that joined before it was closed includes its 100 opening points;
      // one that joined later has no paper balance, and the migration grants its opening points on the day it joined.
      const conduct = 110 + rnd.int(60);
      if (h.enrolledOn <= paperDay) openingCsv.push(`${h.no},CONDUCT,${conduct},${paperDay}`);
      if (rnd.next() < 0.6) openingCsv.push(`${h.no},XIAOSHAN,${50 * (1 + rnd.int(12))},${paperDay}`);
    }
    const recordsCsv = ['户号,事项代码,数量,发生日期,备注'];
    for (const h of households) {
      // Distinct items per household: no cap of the paper period is reached twice.
      const codes = new Set<string>();
      for (let k = 0; k < 1 + rnd.int(3); k++) {
        const it = rnd.pick(pool);
        if (codes.has(it.code)) continue;
        codes.add(it.code);
        recordsCsv.push(`${h.no},${it.code},${it.hourly ? 1 + rnd.int(4) : 1},${addDays(today, -(31 + rnd.int(57)))},纸质台账`);
      }
    }
    const csvOf = (lines: string[]) => Readable.from([Buffer.from(lines.join('\n'))]);
    for (const [what, up] of [
      ['opening balances', await golive.uploadOpeningBalances(admin.p, migration.id, csvOf(openingCsv), 'utf-8')],
      ['records', await golive.uploadRecords(admin.p, migration.id, csvOf(recordsCsv), 'utf-8')],
    ] as const) {
      if (up.status !== 200) throw new Error(`demo migration: ${what} refused: ${JSON.stringify(up.body.rejected.slice(0, 3))}`);
    }
    // The paper's totals per village (here: what a trial application computes, as a county would check its books against it).
    const trial = await golive.approve(admin.p, migration.id, { dryRun: true });
    await golive.controlTotals(admin.p, migration.id, { totals: (trial.reconciliation ?? []).map((r) => ({ villageCode: r.villageCode, asset: r.asset, balance: r.computed })) });
    const applied = await golive.approve(secondAdmin.p, migration.id);
    step(`上线迁移：纸质台账 ${openingCsv.length - 1} 笔期初余额（${paperDay}）、${recordsCsv.length - 1} 条历史记录，按原日期生效，${applied.transactions} 笔`);

    // The last month of conduct records through the workflow.
    const records = this.get(RecordsService);
    let entered = 0;
    const late: { id: string; township: number }[] = [];
    for (const h of households) {
      const township = villages[h.village].township;
      for (let k = 0; k < 1 + rnd.int(2); k++) {
        const it = rnd.pick(pool);
        const occurredOn = addDays(today, -rnd.int(30));
        try {
          const rec = await records.submit(clerks[township].p, {
            holder: { type: 'household', id: h.id },
            ruleCode: it.code,
            occurredOn,
            ...(it.hourly ? { quantity: String(1 + rnd.int(4)) } : {}),
            ...(it.evidence ? { evidence: [`photo://demo/${h.id.slice(0, 8)}-${it.code}.jpg`] } : {}),
            note: '演示数据',
          });
          entered++;
          if (occurredOn > addDays(today, -5) && late.length < 30) late.push({ id: rec.id, township });
          else await records.approve(reviewers[township].p, rec.id);
        } catch (e) {
          if (!mapError(e) || mapError(e)!.status >= 500) throw e; // a cap reached: the clerk moves on
        }
      }
    }
    // Some objections during notice: most dismissed, some upheld.
    const inNotice: { id: string; region_code: string }[] = await this.get(DataSource).query(
      `SELECT id, region_code FROM records WHERE tenant_id = $1 AND status = 'in_notice' ORDER BY id LIMIT 8`,
      [tenant.id],
    );
    for (const [i, r] of inNotice.entries()) {
      const township = cfg.townships.findIndex((t) => r.region_code.startsWith(t.code));
      await records.object(clerks[township].p, r.id, '村民反映情况不实', `村民${rnd.pick([...cfg.surnames])}某`);
      await records.resolve(reviewers[township].p, r.id, i % 3 === 2 ? 'upheld' : 'dismissed', i % 3 === 2 ? '经核实，异议成立' : '经核实，情况属实');
    }
    const posted = await records.postDueRecords(addDays(today, 8), tenant.id); // the notice periods of the history have ended
    // The last few days' records: half approved and in notice now, half still in the review queue.
    for (const [i, r] of late.entries()) if (i % 2 === 0) await records.approve(reviewers[r.township].p, r.id);
    step(`${entered} 条红黄榜记录（公示后入账 ${posted} 条，另有公示中与待审核的记录）`);

    // Yesterday's village meeting, transcribed by the first village's clerk into a file and approved as a whole by the reviewer (two people).
    const meeting = villages[0];
    const attendees = households.filter((h) => h.village === 0).slice(0, 12);
    const csv = ['holderType,holderId,ruleCode,quantity,occurredOn,note', ...attendees.map((h) => `household,${h.id},R07,1,${addDays(today, -1)},参加村民代表会议`)].join('\n');
    const imported = await this.get(RecordsImportService).importFile(clerks[meeting.township].p, Readable.from([Buffer.from(csv)]), 'utf-8', { partial: true });
    const meetingApproval = await records.approveImport(reviewers[meeting.township].p, imported.body.importId!, `${meeting.name}村民代表会议纪要`);
    step(`${meeting.name}导入村民代表会议记录 ${imported.body.accepted} 条，由审核人整批通过（入账 ${meetingApproval.posted} 条）`);

    // Volunteer activities and verified hours (益币).
    const volunteering = this.get(VolunteeringService);
    let hours = new Decimal(0);
    for (const [vi, v] of villages.entries()) {
      const members = people.filter((x) => x.village === vi);
      for (let a = 0; a < 3; a++) {
        const day = addDays(today, -10 - a * 25 - vi);
        const act = await volunteering.propose(organizers[v.township].p, {
          title: ['敬老院助老服务', '河道清洁', '文明交通劝导'][a], category: ['助老', '环保', '文明劝导'][a], regionCode: v.code,
          startsAt: `${day}T01:00:00Z`, endsAt: `${day}T05:00:00Z`, maxHoursPerPerson: '4',
        });
        const listed = await volunteering.approve(reviewers[v.township].p, act.id);
        const entries = members.filter((_, i) => (i + a) % 2 === 0).map((m, i) => ({
          personId: m.id, hours: String(2 + ((i + a) % 3)), kind: (i % 7 === 6 ? 'backfilled' : 'signed') as 'signed' | 'backfilled',
          ...(i % 7 === 6 ? { reason: '当天未带手机，按纸质签到表补录' } : {}),
        }));
        if (!entries.length) continue;
        // Signed hours were checked in and out at the activity with its code (on the organizer's phone, at the time of the history).
        const start = new Date(`${day}T01:00:00Z`).getTime();
        for (const e of entries.filter((x) => x.kind === 'signed')) {
          await volunteering.checkIn(organizers[v.township].p, act.id, { personId: e.personId, code: listed.signInCode! }, new Date(start - 5 * 60_000));
          await volunteering.checkOut(organizers[v.township].p, act.id, { personId: e.personId, code: listed.signInCode! }, new Date(start + Number(e.hours) * 3_600_000 + 5 * 60_000));
        }
        const att = await volunteering.attendance(organizers[v.township].p, act.id, { entries });
        for (const s of att.items) {
          await volunteering.verify(reviewers[v.township].p, s.id);
          hours = hours.plus(entries.find((e) => e.personId === s.personId)?.hours ?? 0);
        }
      }
    }
    // Yesterday morning's activity in the first village: everyone checked in and out, the hours not yet entered (the tour enters some).
    const yesterday = addDays(today, -1);
    const checkedIn = await volunteering.propose(organizers[villages[0].township].p, {
      title: '村口环境整治', category: '环保', regionCode: villages[0].code, startsAt: `${yesterday}T01:00:00Z`, endsAt: `${yesterday}T04:00:00Z`, maxHoursPerPerson: '3',
    });
    const checkedInCode = (await volunteering.approve(reviewers[villages[0].township].p, checkedIn.id)).signInCode!;
    const morning = new Date(`${yesterday}T01:00:00Z`).getTime();
    for (const m of people.filter((x) => x.village === 0)) {
      await volunteering.checkIn(organizers[villages[0].township].p, checkedIn.id, { personId: m.id, code: checkedInCode }, new Date(morning - 10 * 60_000));
      await volunteering.checkOut(organizers[villages[0].township].p, checkedIn.id, { personId: m.id, code: checkedInCode }, new Date(morning + 3 * 3_600_000 + 10 * 60_000));
    }
    step(`志愿服务活动与 ${hours.toFixed()} 小时已核验时长；签到、签退记录齐全`);

    // Service orders: the menu, a team per village, orders at every stage.
    const orders = this.get(ServiceOrdersService);
    for (const [code, title, category] of [
      ['S01', '上门打扫卫生', '助老'], ['S02', '代购药品', '助老'], ['S03', '义务理发', '便民'], ['S04', '陪同就医', '助老'], ['S05', '家电维修', '便民'],
    ]) {
      await orders.addMenuItem(admin.p, { code, title, category, regionCode: cfg.county.code });
    }
    const teams: string[] = [];
    for (const [vi, v] of villages.entries()) {
      const members = people.filter((x) => x.village === vi).slice(0, 6).map((x) => x.id);
      teams.push((await orders.createTeam(admin.p, { name: `${v.name}志愿服务队`, regionCode: v.code, memberIds: members })).id);
    }
    let closedOrders = 0;
    for (const [vi, v] of villages.entries()) {
      const team = teams[vi];
      const members = people.filter((x) => x.village === vi).slice(0, 6);
      const requesters = households.filter((h) => h.village === vi).slice(10, 14);
      for (const [k, h] of requesters.entries()) {
        const clerk = clerks[v.township].p;
        const o = await orders.create(clerk, { menuCode: `S0${1 + ((k + vi) % 5)}`, requester: { type: 'household', id: h.id }, regionCode: v.code, note: '演示订单' });
        await orders.dispatch(reviewers[v.township].p, o.id, team);
        if (k === 3) continue; // waiting for the team to accept: on the station's board
        await orders.accept(organizers[v.township].p, o.id);
        const startedAt = new Date(Date.parse(`${addDays(today, -3 - k)}T08:00:00Z`)).toISOString();
        await orders.deliver(organizers[v.township].p, o.id, { entries: members.slice(k, k + 2).map((m) => ({ personId: m.id, hours: '2', startedAt })) });
        await orders.rate(clerk, o.id, k === 2 ? 3 : 5, k === 2 ? '来得有点晚' : '服务很好，谢谢志愿者');
        closedOrders++;
      }
    }
    step(`服务订单：${closedOrders} 单已评价，${villages.length} 单待接单`);

    // The fund, donations, shops, redemptions, a paid settlement.
    const funds = this.get(FundsService);
    const fund = await funds.create(admin.p, { name: cfg.fund.name, regionCode: cfg.county.code, conversionRate: cfg.fund.conversionRate, coverageAlertBelow: cfg.fund.coverageAlertBelow });
    let key = 0;
    const idem = () => `demo-${tenant.id.slice(0, 8)}-${key++}`;
    for (const donor of cfg.donors) await funds.donate(admin.p, fund.id, { donor, amount: String(8000 + rnd.int(12) * 1000) + '.00' }, idem());
    for (const h of households.filter((_, i) => i % 6 === 1)) {
      await funds.donate(admin.p, fund.id, { donor: `${h.name}之子（在外务工）`, amount: String(100 + rnd.int(5) * 100) + '.00', holder: { type: 'household', id: h.id } }, idem());
    }
    const shopsService = this.get(ShopsService);
    const shops = [];
    for (const s of cfg.shops) {
      const regionCode = s.village !== undefined ? villages[s.village].code : cfg.townships[s.township ?? 0].code;
      const shop = await shopsService.create(admin.p, { name: s.name, regionCode, acceptedAssets: s.acceptedAssets, rates: s.rates, fundId: fund.id });
      for (const item of s.items) await shopsService.addItem(admin.p, shop.id, item);
      shops.push(shop);
    }
    const shopkeepers = [await issue('shopkeeper', `演示：${cfg.shops[0].name}`, { shopId: shops[0].id }), await issue('shopkeeper', `演示：${cfg.shops[1].name}`, { shopId: shops[1].id })];
    const redemptions = this.get(RedemptionsService);
    let redeemed = 0;
    for (const h of households.filter((x) => x.pin && villages[x.village].township === 0)) {
      const at = villages[h.village].code === cfg.townships[0].villages[0].code && rnd.next() < 0.6 ? 0 : 1;
      const basket = at === 0 ? [{ sku: rnd.pick(['SOAP', 'SOAP', 'RICE-10KG']), quantity: 1 + rnd.int(2) }] : [{ sku: rnd.pick(['SALT', 'NOODLES']), quantity: 1 + rnd.int(3) }];
      try {
        await redemptions.redeem(shopkeepers[at].p, { shopId: shops[at].id, holder: { type: 'household', id: h.id }, pin: PIN, lines: basket }, false, undefined, idem());
        redeemed++;
      } catch (e) {
        if (!mapError(e) || mapError(e)!.status >= 500) throw e; // not enough points above the floor: the counter says so
      }
    }
    const settlements = this.get(SettlementsService);
    const statement = (await settlements.settle(admin.p, shops[1].id, today, idem())).body as { id: string; amountCny: string };
    await settlements.paid(admin.p, statement.id, '农商行转账（演示）', idem());
    step(`基金、2 家商店、${redeemed} 笔兑换、1 份已付款结算单（${statement.amountCny} 元）`);

    // Villagers' own claims (申报) from their door card's page, each with a photo (a generated picture):
    // some approved and in notice, some waiting for review, one rejected with its reason.
    const evidence = this.get(EvidenceService);
    const claimers = households.filter((h) => h.pin && h.village < 2).slice(0, 9);
    const deeds = ['帮独居老人挑水劈柴', '雨天帮邻居抢收稻谷', '拾到钱包交还失主', '义务清理村道落石', '送突发疾病的邻居就医'];
    let claimed = 0;
    for (const [i, h] of claimers.entries()) {
      const hue = (i * 47) % 255;
      const shapes = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360"><rect x="40" y="200" width="400" height="120" fill="rgb(${hue},140,80)"/><circle cx="${120 + i * 30}" cy="120" r="60" fill="rgb(240,${200 - hue / 2},60)"/></svg>`);
      const photo = await sharp({ create: { width: 480, height: 360, channels: 3, background: { r: 150, g: 190, b: 230 } } }).composite([{ input: shapes }]).jpeg({ quality: 80 }).toBuffer();
      const stored = await evidence.accept(tenant.id, `household:${h.id}`, photo, `IMG_${2026 + i}.jpg`);
      const claim = await records.submitClaim(tenant.id, { id: h.id, regionCode: villages[h.village].code }, {
        ruleCode: 'R06', occurredOn: addDays(today, -(1 + (i % 6))), note: deeds[i % deeds.length], evidence: [stored.ref],
      });
      const reviewer = reviewers[villages[h.village].township].p;
      if (i % 3 === 0) await records.approve(reviewer, claim.id);
      else if (i === 5) await records.reject(reviewer, claim.id, '照片看不出是什么事，请到村委会补充说明');
      claimed++;
    }
    step(`村民申报 ${claimed} 件好人好事（带照片）：部分已通过公示中，部分待审核，1 件退回并说明理由`);

    // The bank, consents, a published grade run; last month's boards.
    const banks = this.get(BanksService);
    const bank = await banks.createBank(admin.p, { name: cfg.bank.name });
    const bankKey = await issue('bank', `演示：${cfg.bank.name}`, { bankId: bank.id });
    const consenting = households.filter((h, i) => i % 5 === 0 || h.pin);
    for (const h of consenting) {
      await banks.grantConsent(clerks[villages[h.village].township].p, { householdId: h.id, bankId: bank.id, scope: 'credit-grade', expiresOn: addDays(today, 365), documentRef: `授权书（演示）${h.id.slice(0, 8)}` });
    }
    await this.get(DataSource).query('ANALYZE'); // fresh tables: give the planner real statistics
    const grades = this.get(GradesService);
    const card = await grades.createScorecard(admin.p, JSON.parse(readFileSync(path.join(configDir, 'scorecards', cfg.scorecard), 'utf8')));
    const run = await grades.createRun(admin.p, { regionCode: cfg.county.code, asOf: today, scorecardId: card.id });
    await grades.publish(admin.p, run.id);
    const boards = this.get(BoardsService);
    const boardPeriod = previousMonth(today);
    for (const v of villages) {
      const b = await boards.compute(reviewers[v.township].p, v.code, boardPeriod);
      await boards.publish(reviewers[v.township].p, b.id);
    }
    step(`银行与 ${consenting.length} 份授权、孝善信用评级（${JSON.stringify(run.distribution)}）已公示、${boardPeriod} 红黑榜已公示`);

    // People: one user per role a person holds, signed in with a phone and a password (the initial one changed, as at a first sign-in).
    const users = this.get(UsersService);
    const demoPeople: { role: Exclude<Role, 'bank'>; name: string; extra: { scopeRegionCode?: string; shopId?: string } }[] = [
      { role: 'admin', name: '陈主任', extra: {} },
      { role: 'auditor', name: '孙会计', extra: {} },
      { role: 'clerk', name: '王文书', extra: { scopeRegionCode: villages[0].code } },
      { role: 'reviewer', name: '李站长', extra: { scopeRegionCode: cfg.townships[0].code } },
      { role: 'organizer', name: '赵队长', extra: { scopeRegionCode: cfg.townships[0].code } },
      { role: 'shopkeeper', name: '周店主', extra: { shopId: shops[0].id } },
    ];
    const demoUsers = await Promise.all(
      demoPeople.map(async (u, i) => {
        const phone = `1380000000${i + 1}`;
        const created = await users.create(platform, { tenantId: tenant.id, name: u.name, phone, role: u.role, ...u.extra });
        const session = await users.signIn(phone, created.initialPassword);
        const p = (await users.verifySession(session.token))!;
        await users.changePassword(p, { currentPassword: created.initialPassword, newPassword: DEMO_PASSWORD }, session.token);
        await users.endSession(session.token);
        return [u.role, { name: u.name, phone, password: DEMO_PASSWORD }] as const;
      }),
    );
    step('用户（每个角色一位，用手机号和密码登录）');

    const tourHousehold = households.find((h) => h.pin && h.village === 0)!;
    const facts: DemoFacts = {
      tenantId: tenant.id,
      county: cfg.county.code,
      users: Object.fromEntries(demoUsers),
      keys: {
        admin: admin.key, auditor: auditor.key, clerk: clerks[0].key, reviewer: reviewers[0].key, organizer: organizers[0].key, shopkeeper: shopkeepers[0].key, bank: bankKey.key,
      },
      tour: {
        householdId: tourHousehold.id,
        idNumber: tourHousehold.idNumber,
        pin: PIN,
        cardPath: `/h/${(await holders.cards(admin.p, { householdId: tourHousehold.id }))[0].token}`,
        villageCode: villages[0].code,
        shopId: shops[0].id,
        bankId: bank.id,
        fundId: fund.id,
        personIds: people.filter((x) => x.village === 0).slice(0, 3).map((x) => x.id),
        boardPeriod,
        checkedInActivityId: checkedIn.id,
      },
    };
    mkdirSync(this.dataDir, { recursive: true });
    writeFileSync(this.factsFile(), JSON.stringify(facts, null, 2), { mode: 0o600 });
    chmodSync(this.factsFile(), 0o600);
    step(`加载完成，用时 ${((Date.now() - started) / 1000).toFixed(1)} 秒`);
    return { loaded: true, facts };
  }
}
