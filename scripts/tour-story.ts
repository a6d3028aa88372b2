/**
 * The guided tour: each user's story, walked over HTTP against a running jifen
 * with the demo county loaded. Used by `npm run tour` and by the e2e test that
 * runs the same story. Every step checks what it got and throws when jifen
 * does not behave as described.
 */
import { createHash, createPublicKey, verify } from 'crypto';
import type { DemoFacts } from '../src/demo/demo-loader';

export type Print = (line: string) => void;

class TourFailure extends Error {}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  raw: Buffer;
}

const addDaysTo = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export async function runTour(base: string, facts: DemoFacts, print: Print): Promise<void> {
  const run = Date.now().toString(36);
  let serial = 0;
  // People sign in with their phone and password; only the bank's system uses a key.
  const tokens: Partial<Record<keyof DemoFacts['keys'], string>> = { ...facts.keys };
  const credential = (role: keyof DemoFacts['keys']) => tokens[role];
  const call = async (role: keyof DemoFacts['keys'] | null, method: string, path: string, body?: unknown, idempotent = false): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (role) headers.Authorization = `Bearer ${credential(role)}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotent) headers['Idempotency-Key'] = `tour-${run}-${serial++}`;
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const raw = Buffer.from(await res.arrayBuffer());
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      parsed = raw.toString('utf8');
    }
    return { status: res.status, headers: res.headers, body: parsed, raw };
  };
  const expect = (what: string, ok: boolean, got: unknown) => {
    if (!ok) throw new TourFailure(`✗ ${what} — got ${typeof got === 'string' ? got : JSON.stringify(got)}`);
    print(`   ✓ ${what}`);
  };
  const step = (zh: string, en: string) => print(`\n▶ ${zh} / ${en}`);
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const t = facts.tour;
  const hh = { type: 'household', id: t.householdId };

  if (facts.users) {
    step('各人用手机号和密码登录', 'Each person signs in with a phone number and a password');
    for (const [role, u] of Object.entries(facts.users) as [keyof DemoFacts['keys'], { name: string; phone: string; password: string }][]) {
      const signed = await call(null, 'POST', '/v1/sessions', { phone: u.phone, password: u.password });
      expect(`${u.name}（${role}）登录 → 201`, signed.status === 201 && signed.body.user?.name === u.name, signed.body);
      tokens[role] = signed.body.token;
    }
  }

  step('村文书录入红黄榜记录，实践站站长审核', 'A clerk enters a record and a reviewer approves it');
  const rec = await call('clerk', 'POST', '/v1/records', { holder: hh, ruleCode: 'R03', occurredOn: today, evidence: ['photo://tour/wedding-simple.jpg'], note: '婚事简办（导览）' });
  expect(`录入 R03「移风易俗」→ 201，分值 ${rec.body?.points}`, rec.status === 201 && rec.body.status === 'submitted', rec.body);
  const self = await call('clerk', 'POST', `/v1/records/${rec.body.id}/approve`);
  expect('录入人不能自己审核 → 403/422', self.status === 403 || self.status === 422, self.body);
  const approved = await call('reviewer', 'POST', `/v1/records/${rec.body.id}/approve`);
  expect(`站长审核通过 → 公示中，公示至 ${approved.body?.noticeEndsOn}`, approved.status === 200 && approved.body.status === 'in_notice', approved.body);

  step('公示期内有村民提出异议', 'An objection during public notice');
  const objected = await call('clerk', 'POST', `/v1/records/${rec.body.id}/objections`, { reason: '听说酒席办了三十桌', raisedBy: '村民张某' });
  expect('异议已登记 → objected', objected.status === 200 && objected.body.status === 'objected', objected.body);
  const resolved = await call('reviewer', 'POST', `/v1/records/${rec.body.id}/resolve`, { outcome: 'dismissed', reason: '经核实只办了六桌，异议不成立' });
  expect(`异议不成立，积分入账（交易 ${String(resolved.body?.transactionId).slice(0, 8)}…）`, resolved.status === 200 && resolved.body.status === 'posted', resolved.body);
  const history = await call('reviewer', 'GET', `/v1/records/${rec.body.id}`);
  expect(`记录留痕：${history.body?.history?.map((h: any) => `${h.to}（${h.actor?.name}）`).join(' → ')}`, history.body?.history?.length === 4, history.body);

  step('文书批量导入村民代表会议的决定，另一位审核人整批通过', 'A clerk imports a meeting\'s decisions from a file; another reviewer approves the whole import');
  const meetingCsv = `holderType,holderId,ruleCode,quantity,occurredOn,note\nhousehold,${t.householdId},R07,1,${today},参加村民代表会议（导览）\n`;
  const uploaded = await fetch(`${base}/v1/records/import?partial=true`, { method: 'POST', headers: { Authorization: `Bearer ${credential('clerk')}`, 'Content-Type': 'text/csv; charset=utf-8' }, body: meetingCsv });
  const imported = (await uploaded.json()) as any;
  expect(`导入 ${imported.accepted} 条 → 待审核（导入批次 ${String(imported.importId).slice(0, 8)}…）`, uploaded.status === 201 && imported.accepted === 1, imported);
  const queue = await call('reviewer', 'GET', '/v1/records/imports?pending=true');
  expect(`审核人的待审批导入里有这一批（共 ${queue.body.items?.length} 批）`, queue.status === 200 && queue.body.items.some((i: any) => i.id === imported.importId), queue.body);
  const wholesale = await call('reviewer', 'POST', `/v1/records/imports/${imported.importId}/approve`, { approvalRef: '村民代表会议纪要（导览）' });
  expect(`另一位审核人整批通过：${wholesale.body?.approved} 条，入账 ${wholesale.body?.posted} 条`, wholesale.status === 200 && wholesale.body.approved === 1, wholesale.body);
  const twice = await call('reviewer', 'POST', `/v1/records/imports/${imported.importId}/approve`, {});
  expect('同一批不能再审批 → 409', twice.status === 409, twice.body);

  step('志愿者到场签到、签退；登记时长，另一人核验后发放益币', 'Volunteers check in with the activity\'s code; hours entered by one person are verified by another and credit 益币');
  const start = new Date(Date.now() - 30 * 60_000);
  const act = await call('organizer', 'POST', '/v1/activities', {
    title: '导览：帮助独居老人打扫卫生', category: '助老', regionCode: t.villageCode, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 2 * 3600_000).toISOString(), maxHoursPerPerson: '2',
  });
  expect('活动已申报 → proposed', act.status === 201 && act.body.status === 'proposed', act.body);
  const listed = await call('reviewer', 'POST', `/v1/activities/${act.body.id}/approve`);
  expect(`活动入库，签到码 ${listed.body?.signInCode}（在活动现场大字公布）`, listed.status === 200 && listed.body.status === 'listed', listed.body);
  const volunteer = await call('clerk', 'POST', '/v1/people', { name: '志愿者小刘', regionCode: t.villageCode, householdId: t.householdId });
  expect('文书登记一名新志愿者', volunteer.status === 201, volunteer.body);
  const person = volunteer.body.id as string;
  const code = listed.body.signInCode as string;
  const wrongCode = await call('organizer', 'POST', `/v1/activities/${act.body.id}/check-ins`, { personId: person, code: code === '000000' ? '000001' : '000000' });
  expect('签到码不对 → 拒绝（422 wrong-code）', wrongCode.status === 422 && wrongCode.body.code === 'wrong-code', wrongCode.body);
  const checkIn = await call('organizer', 'POST', `/v1/activities/${act.body.id}/check-ins`, { personId: person, code });
  expect(`志愿者在组织者手机上输入签到码签到，时间以服务器为准（${checkIn.body?.at}）`, checkIn.status === 201, checkIn.body);
  const early = await call('organizer', 'POST', `/v1/activities/${act.body.id}/attendance`, { entries: [{ personId: person, hours: '2', kind: 'signed' }] });
  expect('还没签退就登记 2 小时 → 拒绝（422 not-checked-in）', early.status === 422 && early.body.code === 'not-checked-in', early.body);

  // Yesterday's activity: everyone checked in and out on the organizer's phone; the organizer now enters the hours.
  const yesterday = t.checkedInActivityId;
  const checkIns = await call('organizer', 'GET', `/v1/activities/${yesterday}/check-ins`);
  const entered = new Set(((await call('reviewer', 'GET', `/v1/service-records?activityId=${yesterday}&limit=200`)).body.items ?? []).map((s: any) => s.personId));
  const present = checkIns.body.items?.find((x: any) => x.checkedOutAt && !entered.has(x.personId));
  expect(`昨天的「村口环境整治」：${checkIns.body.items?.length} 人签到、签退`, checkIns.status === 200 && Boolean(present), checkIns.body);
  const coinsBefore = (await call('admin', 'GET', `/v1/holders/person/${present.personId}/balances`)).body.balances.find((b: any) => b.asset === 'YIBI')?.balance ?? '0.00';
  const att = await call('organizer', 'POST', `/v1/activities/${yesterday}/attendance`, { entries: [{ personId: present.personId, hours: '3', kind: 'signed' }] });
  expect(`按签到 ${present.hours} 小时登记 3 小时 → 待核验`, att.status === 201 && att.body.items?.[0]?.status === 'submitted', att.body);
  const own = await call('organizer', 'POST', `/v1/service-records/${att.body.items[0].id}/verify`);
  expect('登记人自己核验 → 拒绝（422 maker-checker）', own.status === 422 && own.body.code === 'maker-checker', own.body);
  const verified = await call('reviewer', 'POST', `/v1/service-records/${att.body.items[0].id}/verify`);
  expect(`审核人核验通过，发放益币 ${verified.body?.credited}`, verified.status === 200 && verified.body.credited === '3.00', verified.body);
  const coinsAfter = (await call('admin', 'GET', `/v1/holders/person/${present.personId}/balances`)).body.balances.find((b: any) => b.asset === 'YIBI')?.balance;
  expect(`益币余额 ${coinsBefore} → ${coinsAfter}`, Number(coinsAfter) - Number(coinsBefore) === 3, coinsAfter);

  step('点单 → 派单 → 接单 → 送单 → 评单', 'A service order: requested, dispatched, accepted, delivered, rated');
  const teams = await call('reviewer', 'GET', '/v1/teams');
  const team = teams.body.items?.find((x: any) => x.regionCode === t.villageCode);
  expect(`本村志愿服务队：${team?.name}（${team?.memberIds?.length} 人）`, teams.status === 200 && team?.memberIds?.length > 0, teams.body);
  const ordered = await call('clerk', 'POST', '/v1/service-orders', { menuCode: 'S03', requester: hh, regionCode: t.villageCode, note: '老人行动不便，请上门理发（导览）' });
  expect(`文书代村民点单「${ordered.body?.title}」`, ordered.status === 201 && ordered.body.status === 'requested', ordered.body);
  const dispatched = await call('reviewer', 'POST', `/v1/service-orders/${ordered.body.id}/dispatch`, { teamId: team.id });
  expect('实践站派单 → dispatched', dispatched.status === 200 && dispatched.body.status === 'dispatched', dispatched.body);
  const taken = await call('organizer', 'POST', `/v1/service-orders/${ordered.body.id}/accept`);
  expect('服务队接单 → accepted', taken.status === 200 && taken.body.status === 'accepted', taken.body);
  const member = team.memberIds[0];
  // An hour some day in the past when the volunteer served nowhere else (the demo's history fills many hours; overlaps are refused).
  let done: Answer;
  for (let attempt = 0; ; attempt++) {
    const startedAt = new Date(Date.now() - (30 + Math.floor(Math.random() * 5000)) * 3600_000).toISOString();
    done = await call('organizer', 'POST', `/v1/service-orders/${ordered.body.id}/deliver`, { entries: [{ personId: member, hours: '1', startedAt }] });
    if (done.body?.code !== 'attendance-overlap' || attempt >= 10) break;
  }
  expect('送单：登记服务 1 小时 → delivered', done.status === 200 && done.body.status === 'delivered', done.body);
  const rated = await call('clerk', 'POST', `/v1/service-orders/${ordered.body.id}/rate`, { stars: 5, comment: '理得很好' });
  expect(`评单 5 星 → 时长核验，益币 ${rated.body?.service?.[0]?.credited}`, rated.status === 200 && rated.body.status === 'closed' && rated.body.service?.[0]?.status === 'verified', rated.body);

  step('积分超市店主收银：农户输入 PIN 兑换', 'A shopkeeper redeems points with the holder’s PIN');
  const items = await call('shopkeeper', 'GET', `/v1/shops/${t.shopId}/items`);
  const soap = items.body.items?.find((i: any) => i.sku === 'SOAP');
  expect(`货架：${items.body.items?.map((i: any) => `${i.name} ${i.price}分`).join('、')}`, items.status === 200 && soap, items.body);
  await call('admin', 'POST', '/v1/transfers', { asset: 'CONDUCT', from: 'issuer', to: hh, amount: '10', memo: '导览：补足积分' }, true);
  const wrong = await call('shopkeeper', 'POST', '/v1/redemptions', { shopId: t.shopId, holder: hh, pin: '000000', lines: [{ sku: 'SOAP', quantity: 1 }] }, true);
  expect(`PIN 错误 → 422「${wrong.body?.detail}」`, wrong.status === 422 && wrong.body.code === 'pin-incorrect', wrong.body);
  await call('clerk', 'PUT', `/v1/holders/household/${t.householdId}/pin`, { pin: t.pin }); // the clerk resets the count
  const redeemed = await call('shopkeeper', 'POST', '/v1/redemptions', { shopId: t.shopId, holder: hh, pin: t.pin, lines: [{ sku: 'SOAP', quantity: 1 }] }, true);
  expect(`兑换成功：${redeemed.body?.lines?.[0]?.name} ×1，用 ${redeemed.body?.amount} 分；店主看不到余额`, redeemed.status === 201 && redeemed.body.status === 'completed' && !JSON.stringify(redeemed.body).includes('balance'), redeemed.body);
  const tooMuch = await call('shopkeeper', 'POST', '/v1/redemptions', { shopId: t.shopId, holder: hh, pin: t.pin, asset: 'CONDUCT', amount: '99999' }, true);
  expect(`超额兑换 → 422「${tooMuch.body?.detail}」`, tooMuch.status === 422 && tooMuch.body.code === 'insufficient-points', tooMuch.body);

  step('激励基金与商店结算', 'The fund settles the shop');
  const settled = await call('admin', 'POST', '/v1/settlements', { shopId: t.shopId, through: today }, true);
  expect(`结算单：${settled.body?.redemptions} 笔兑换，${settled.body?.points} 分，应付 ${settled.body?.amountCny} 元`, settled.status === 201 && settled.body.lines?.length === settled.body.redemptions, settled.body);
  const csv = await call('shopkeeper', 'GET', `/v1/settlements/${settled.body.id}/statement.csv`);
  expect('店主下载结算单 CSV', csv.status === 200 && csv.raw.toString('utf8').includes('合计'), csv.status);
  const paid = await call('admin', 'POST', `/v1/settlements/${settled.body.id}/paid`, { reference: '农商行转账（导览）' }, true);
  expect('已付款 → paid', paid.status === 200 && paid.body.status === 'paid', paid.body);
  const fund = await call('admin', 'GET', `/v1/funds/${t.fundId}`);
  expect(`基金余额 ${fund.body?.balance} 元，覆盖率 ${fund.body?.coverageRatio}`, fund.status === 200, fund.body);

  step('红黑榜公示', 'The red/black board is published');
  const period = today.slice(0, 7);
  const existing = (await call('reviewer', 'GET', `/v1/boards?villageCode=${t.villageCode}`)).body.items?.find((b: any) => b.period === period);
  let board = existing;
  if (!existing || existing.status === 'draft') {
    const drafted = await call('reviewer', 'POST', '/v1/boards', { villageCode: t.villageCode, period });
    expect(`本月红黑榜草稿：红榜 ${drafted.body?.red?.length} 户，黑榜 ${drafted.body?.black?.length} 户`, drafted.status === 201, drafted.body);
    const pub = await call('reviewer', 'POST', `/v1/boards/${drafted.body.id}/publish`);
    expect('张榜公示 → published', pub.status === 200 && pub.body.status === 'published', pub.body);
    board = pub.body;
  } else print(`   · 本月红黑榜已于 ${existing.publishedAt} 公示`);
  const publicBoard = await call(null, 'GET', `/public/boards/${t.villageCode}/${period}`);
  expect(`公开页面（无需登录），姓名已脱敏：${publicBoard.body?.red?.slice(0, 3).map((r: any) => r.name).join('、')}`, publicBoard.status === 200 && !JSON.stringify(publicBoard.body).includes(t.householdId), publicBoard.body);
  const anchors = await call(null, 'GET', `/public/ledger/anchors?tenant=${facts.county}`);
  const printed = publicBoard.body?.ledgerAnchor;
  expect(
    `榜单上印着账本封存指纹 ${printed?.shortHash}（第 ${printed?.sealNo} 次封存），也列在公开的封存清单里（共 ${anchors.body?.items?.length} 条）；凭它可用 npm run ledger:verify -- --anchor 核对`,
    Boolean(printed) && anchors.status === 200 && anchors.body.items.some((a: any) => a.sealHash === printed.sealHash),
    { printed, anchors: anchors.body },
  );
  const again = await call('reviewer', 'POST', '/v1/boards', { villageCode: t.villageCode, period });
  expect('已公示的榜单不可再改 → 409', again.status === 409 && !!board, again.body);

  step('县中心导入纸质台账', 'The county brings a paper ledger in, with its real dates');
  const joined = addDaysTo(today, -3 * 365);
  const oldHousehold = await call('clerk', 'POST', '/v1/households', { villageCode: t.villageCode, headName: '纸质台账户', enrolledOn: joined });
  expect(`文书登记一户 ${joined} 入会的老户：户号 ${oldHousehold.body?.no}`, oldHousehold.status === 201 && oldHousehold.body.enrolledOn === joined, oldHousehold.body);
  const drafted = await call('admin', 'POST', '/v1/migrations', { name: `导览：${oldHousehold.body.no} 的纸质台账`, reference: '积分台账第 3 册' });
  expect('县中心起草迁移 → draft', drafted.status === 201 && drafted.body.status === 'draft', drafted.body);
  const paperDay = addDaysTo(today, -400);
  const csvUpload = async (path: string, body: string) => {
    const res = await fetch(`${base}/v1/migrations/${drafted.body.id}/${path}`, { method: 'POST', headers: { Authorization: `Bearer ${credential('admin')}`, 'Content-Type': 'text/csv; charset=utf-8' }, body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const opening = await csvUpload('opening-balances', `户号,积分种类,余额,截至日期\n${oldHousehold.body.no},CONDUCT,30,${paperDay}\n`);
  expect(`上传期初余额：${paperDay} 结余 30 分`, opening.status === 200 && opening.body.accepted === 1, opening.body);
  const pending = await call('admin', 'GET', `/v1/migrations/${drafted.body.id}`);
  const village = pending.body.reconciliation?.find((r: any) => r.villageCode === t.villageCode && r.asset === 'CONDUCT');
  const totals = await call('admin', 'POST', `/v1/migrations/${drafted.body.id}/control-totals`, { totals: [{ villageCode: t.villageCode, asset: 'CONDUCT', balance: village?.computed }] });
  expect(`申报纸质台账的村合计 ${village?.computed}：与计算一致`, totals.status === 200 && totals.body.reconciliation?.every((r: any) => r.matches), totals.body);
  const selfApproved = await call('admin', 'POST', `/v1/migrations/${drafted.body.id}/approve`);
  expect('起草人不能自己批准 → 422', selfApproved.status === 422, selfApproved.body);
  // The second admin is the centre's other account (its key): a person other than the drafter.
  const appliedMigration = await fetch(`${base}/v1/migrations/${drafted.body.id}/approve`, { method: 'POST', headers: { Authorization: `Bearer ${facts.keys.admin}` } });
  const applied = (await appliedMigration.json()) as any;
  expect(`另一位管理员批准：一次写入 ${applied.transactions} 笔，生效日为纸质台账的日期`, appliedMigration.status === 200 && applied.status === 'applied', applied);
  const asOfThen = await call('admin', 'GET', `/v1/holders/household/${oldHousehold.body.id}/balances?asOf=${paperDay}`);
  const dayBefore = await call('admin', 'GET', `/v1/holders/household/${oldHousehold.body.id}/balances?asOf=${addDaysTo(paperDay, -1)}`);
  const conduct = (r: Answer) => r.body.balances?.find((b: any) => b.asset === 'CONDUCT')?.balance;
  expect(`按业务日期查余额：${addDaysTo(paperDay, -1)} 为 ${conduct(dayBefore)}，${paperDay} 为 ${conduct(asOfThen)}`, conduct(dayBefore) === '0.00' && conduct(asOfThen) === '30.00', [dayBefore.body, asOfThen.body]);

  step('村民扫门牌码查看积分并申报好人好事，村委会审核后入账', 'A villager scans the door card, sees the points and claims a good deed; the village reviews it');
  const cardPage = await call(null, 'GET', t.cardPath);
  const pageJson = await fetch(`${base}${t.cardPath}`, { headers: { Accept: 'application/json' } }).then(async (r) => ({ status: r.status, cache: r.headers.get('cache-control'), body: (await r.json()) as any }));
  expect(
    `扫门牌码（不用登录）：户号 ${pageJson.body?.householdNo}，现有 ${pageJson.body?.balance} 分，本月全村第 ${pageJson.body?.monthRank} 名 / 共 ${pageJson.body?.villageHouseholds} 户；红榜 ${pageJson.body?.items?.filter((i: any) => i.direction === 'credit').length} 项、黄榜 ${pageJson.body?.items?.filter((i: any) => i.direction === 'debit').length} 项`,
    cardPage.status === 200 && String(cardPage.body).includes('本月全村第') && pageJson.status === 200 && pageJson.cache === 'public, max-age=60',
    pageJson.body,
  );
  const lockedHistory = await call(null, 'GET', `${t.cardPath}/history`);
  expect('不输 PIN 看不到明细 → 401', lockedHistory.status === 401, lockedHistory.body);
  const opened = await fetch(`${base}${t.cardPath}/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ pin: t.pin }) });
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0];
  expect('输入本户 PIN：明细打开 30 分钟（只对这张户卡有效的 Cookie）', opened.status === 200 && cookie.startsWith('jifen_h='), await opened.text());
  const withCookie = (path: string, init: RequestInit = {}) => fetch(`${base}${t.cardPath}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), Cookie: cookie } });
  const details = (await (await withCookie('/history')).json()) as any;
  expect(`明细：${details.records?.length} 条记录、${details.entries?.length} 笔积分变动，现在可兑换 ${details.redeemable} 分（保底 ${details.redeemFloor} 分）`, Array.isArray(details.records), details);
  // A photo of the deed (a small generated JPEG, as a phone would send).
  const photo = Buffer.from(
    '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAQABABAREA/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAA/AL+AD//Z',
    'base64',
  );
  const form = new FormData();
  form.append('ruleCode', 'R06');
  form.append('occurredOn', today);
  form.append('note', '导览：帮邻居把晒场的稻谷抢收进屋');
  form.append('photos', new Blob([photo], { type: 'image/jpeg' }), 'IMG_0001.jpg');
  const claimed = await withCookie('/claims', { method: 'POST', body: form });
  const claim = (await claimed.json()) as any;
  expect(`申报"${claim.ruleName}"并附照片 1 张 → ${claim.status}（待村委会审核）`, claimed.status === 201 && claim.status === 'submitted' && claim.photos === 1, claim);
  const claims = await call('reviewer', 'GET', '/v1/records?source=claim&status=submitted&limit=100');
  expect(`审核人的待审核里有这件申报（村民申报共 ${claims.body?.items?.length} 件待审）`, claims.status === 200 && claims.body.items.some((r: any) => r.id === claim.id), claims.body);
  const claimPhoto = await call('reviewer', 'GET', `/v1/records/${claim.id}/evidence/0`);
  expect(`审核人查看照片：${claimPhoto.headers.get('content-type')}，${claimPhoto.raw.length} 字节，已去除 EXIF/GPS`, claimPhoto.status === 200 && claimPhoto.headers.get('content-type') === 'image/jpeg' && !claimPhoto.raw.includes(Buffer.from('Exif')), claimPhoto.status);
  const claimApproved = await call('reviewer', 'POST', `/v1/records/${claim.id}/approve`);
  expect(`审核通过 → 公示至 ${claimApproved.body?.noticeEndsOn}，期满无异议自动入账`, claimApproved.status === 200 && claimApproved.body.status === 'in_notice', claimApproved.body);
  const after = (await (await withCookie('/history')).json()) as any;
  const mine = after.records?.find((r: any) => r.id === claim.id);
  expect(`本户页面上看到：${mine?.ruleName} +${mine?.points}，公示中，${mine?.noticeEndsOn} 公示结束`, mine?.status === 'in_notice' && mine.noticeEndsOn === claimApproved.body.noticeEndsOn, after.records?.[0]);

  step('孝善信用评级：计算并公示', 'A grade run is computed and published');
  const cards = await call('admin', 'GET', '/v1/scorecards');
  const gradeRun = await call('admin', 'POST', '/v1/grade-runs', { regionCode: facts.county, asOf: today, scorecardId: cards.body.items[0].id });
  expect(`评级完成：${gradeRun.body?.households} 户，分布 ${JSON.stringify(gradeRun.body?.distribution)}`, gradeRun.status === 201, gradeRun.body);
  const explained = await call('admin', 'GET', `/v1/grade-runs/${gradeRun.body.id}/households/${t.householdId}`);
  expect(`逐项解释：${explained.body?.features?.map((f: any) => `${f.feature}=${f.value}→${f.points}分`).join('，')}；总分 ${explained.body?.score}，等级 ${explained.body?.grade ?? '未评级'}`, explained.status === 200, explained.body);
  const published = await call('admin', 'POST', `/v1/grade-runs/${gradeRun.body.id}/publish`);
  expect('公示 → published', published.status === 200 && published.body.status === 'published', published.body);

  step('银行查询评级并核验签名导出', 'The bank pulls a grade and a signed export, and verifies the signature');
  const grade = await call('bank', 'GET', `/v1/bank/grades?idNumber=${t.idNumber}`);
  expect(`按身份证号查询（已授权）：等级 ${grade.body?.grade ?? '未评级'}，授信 ${grade.body?.creditLine ?? '—'}，评级批次 ${String(grade.body?.runId).slice(0, 8)}…`, grade.status === 200 && grade.body.runId === gradeRun.body.id, grade.body);
  const unknown = await call('bank', 'GET', '/v1/bank/grades?idNumber=11010119900101123X');
  expect('未授权或不存在的农户 → 404', unknown.status === 404, unknown.body);
  const exp = await call('bank', 'GET', `/v1/bank/grades/export?regionCode=${t.villageCode}&format=csv`);
  const digest = createHash('sha256').update(exp.raw).digest('hex');
  expect(`签名导出：${exp.headers.get('x-export-households')} 户，摘要一致`, exp.status === 200 && digest === exp.headers.get('x-export-digest'), exp.status);
  const keys = await call('bank', 'GET', '/v1/bank/signing-keys');
  const keyId = exp.headers.get('x-export-key-id');
  const key = keys.body.items?.find((k: any) => k.keyId === keyId);
  expect(`本县的签名公钥 ${keys.body.items?.length} 把，按导出头 X-Export-Key-Id 选中 ${keyId}`, keys.status === 200 && Boolean(key), keys.body);
  const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64'), format: 'der', type: 'spki' });
  const message = (d: string) => Buffer.from(`${d}\n${exp.headers.get('x-export-run-id')}\n${t.bankId}`, 'utf8');
  const signature = Buffer.from(exp.headers.get('x-export-signature') ?? '', 'base64');
  expect('Ed25519 签名用公钥验证通过', verify(null, message(digest), publicKey, signature), signature.length);
  const tampered = Buffer.from(exp.raw);
  tampered[tampered.length - 2] ^= 1;
  expect('改动一个字节后验证失败', !verify(null, message(createHash('sha256').update(tampered).digest('hex')), publicKey, signature), 'verified');
  const log = await call('auditor', 'GET', `/v1/bank-access-log?bankId=${t.bankId}`);
  expect(`银行每次读取都有记录（最近：${log.body?.items?.[0]?.endpoint}）`, log.status === 200 && log.body.items.length >= 3, log.body);
  const verifyLedger = await call('auditor', 'GET', '/v1/ledger/verify');
  expect(`账本核验：借贷平衡、余额与分录一致、哈希链完整（${verifyLedger.body?.checkedTransactions} 笔）`, verifyLedger.body?.balanced && verifyLedger.body?.balancesMatchEntries && verifyLedger.body?.chainIntact, verifyLedger.body);
  print('\n导览完成 / Tour complete.');
}

export { TourFailure };
