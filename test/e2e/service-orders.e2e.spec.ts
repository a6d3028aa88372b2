import { readFileSync } from 'fs';
import * as path from 'path';
import { ServiceOrdersService } from '../../src/service-orders/service-orders.service';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, makePerson } from '../helpers/fixtures';

describe('service orders: 点单 → 派单 → 接单 → 送单 → 评单 (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  let clerk: Record<string, string>;
  let station: Record<string, string>;
  let organizer: Record<string, string>;
  let team: string;
  let otherTeam: string;
  let members: string[];
  let requester: string;

  const post = (auth: Record<string, string>, url: string, body: object = {}) => t.http().post(url).set(auth).send(body);
  const coins = async (person: string) => (await t.http().get(`/v1/holders/person/${person}/balances`).set(admin)).body.balances.find((b: any) => b.asset === 'YIBI').balance;
  const order = async () => {
    const res = await post(clerk, '/v1/service-orders', { menuCode: 'S01', requester: { type: 'household', id: requester }, regionCode: c.villages[0], note: '独居老人，需要打扫卫生' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
    clerk = bearer(c.keys.clerk);
    station = bearer(c.keys.reviewer);
    organizer = bearer(c.keys.organizer);
    const program = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', 'renqiu-yibi.json'), 'utf8'));
    const set = await post(admin, '/v1/rulesets', { ...program, regionCode: c.county });
    await post(admin, `/v1/rulesets/${set.body.id}/activate`);
    members = [await makePerson(t, c.keys.clerk, c.villages[0], '志愿者甲'), await makePerson(t, c.keys.clerk, c.villages[0], '志愿者乙')];
    const other = await makePerson(t, c.otherVillageKeys.clerk, c.villages[2], '外村志愿者');
    team = (await post(admin, '/v1/teams', { name: '泉秀村志愿服务队', regionCode: c.villages[0], memberIds: members })).body.id;
    otherTeam = (await post(admin, '/v1/teams', { name: '白泉村志愿服务队', regionCode: c.villages[2], memberIds: [other] })).body.id;
    expect((await post(admin, '/v1/teams', { name: 'x', regionCode: c.villages[0], memberIds: [other] })).status).toBe(422);
    expect((await post(admin, '/v1/service-menu', { code: 'S01', title: '上门打扫卫生', category: '助老', regionCode: c.county })).status).toBe(201);
    expect((await post(admin, '/v1/service-menu', { code: 'S02', title: '代购药品', category: '助老', regionCode: c.villages[0] })).status).toBe(201);
    requester = await makeHousehold(t, c.keys.clerk, c.villages[0], '孙奶奶');
  });
  afterAll(async () => t.close());

  it('the menu is inherited down the tree', async () => {
    const menu = await t.http().get(`/v1/service-menu?villageCode=${c.villages[0]}`).set(clerk);
    expect(menu.body.items.map((i: any) => i.code)).toEqual(['S01', 'S02']);
    const elsewhere = await t.http().get(`/v1/service-menu?villageCode=${c.villages[2]}`).set(bearer(c.otherVillageKeys.clerk));
    expect(elsewhere.body.items.map((i: any) => i.code)).toEqual(['S01']);
    const bad = await post(clerk, '/v1/service-orders', { menuCode: 'S99', requester: { type: 'household', id: requester }, regionCode: c.villages[0] });
    expect(bad.status).toBe(422);
  });

  it('from request to 益币 credited: dispatch, accept, deliver, a good rating verifies the hours in the same transaction', async () => {
    const id = await order();
    expect((await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: otherTeam })).status).toBe(404); // a team beyond the station's reach
    expect((await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team })).body.status).toBe('dispatched');
    expect((await post(organizer, `/v1/service-orders/${id}/accept`)).body.status).toBe('accepted');
    const before = await coins(members[0]);
    const delivered = await post(organizer, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: members[0], hours: '2' }, { personId: members[1], hours: '1.5' }] });
    expect(delivered.status).toBe(200);
    expect(delivered.body.service.map((s: any) => s.status)).toEqual(['submitted', 'submitted']);
    const rated = await post(clerk, `/v1/service-orders/${id}/rate`, { stars: 5, comment: '打扫得很干净' });
    expect(rated.status).toBe(200);
    expect(rated.body).toMatchObject({ status: 'closed', stars: 5 });
    expect(rated.body.service.every((s: any) => s.status === 'verified')).toBe(true);
    expect(Number(await coins(members[0])) - Number(before)).toBe(2);
    expect(rated.body.history.map((h: any) => h.to)).toEqual(['requested', 'dispatched', 'accepted', 'delivered', 'closed']);
    expect(rated.body.history.every((h: any) => h.actor && h.at)).toBe(true);
    const summary = await t.http().get(`/v1/people/${members[1]}/service`).set(clerk);
    expect(summary.body.verifiedHours).toBe('1.50');
  });

  it('hours are capped and overlaps with the same person\'s other service are refused (409)', async () => {
    const id = await order();
    await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team });
    await post(organizer, `/v1/service-orders/${id}/accept`);
    expect((await post(organizer, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: members[0], hours: '9' }] })).status).toBe(422);
    expect((await post(organizer, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: members[0], hours: '1', startedAt: hoursAgo(1.5) }] })).status).toBe(409); // during the previous order's service
    const outsider = await makePerson(t, c.keys.clerk, c.villages[0], '非队员');
    expect((await post(organizer, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: outsider, hours: '1' }] })).body.code).toBe('not-a-member');
    expect((await post(organizer, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: members[0], hours: '1', startedAt: new Date(Date.now() - 60_000).toISOString() }] })).status).toBe(422); // would end in the future
  });

  it('a declined order goes back to dispatch; a low rating puts the hours in the reviewer\'s queue with the comment', async () => {
    const id = await order();
    await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team });
    const declined = await post(organizer, `/v1/service-orders/${id}/decline`, { reason: '队员都在外地' });
    expect(declined.body).toMatchObject({ status: 'requested', teamId: null });
    expect(declined.body.history[declined.body.history.length - 1]).toMatchObject({ from: 'dispatched', to: 'requested', reason: 'declined: 队员都在外地' });
    await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team });
    await post(organizer, `/v1/service-orders/${id}/accept`);
    await post(organizer, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: members[1], hours: '1', startedAt: hoursAgo(6) }] });
    const before = await coins(members[1]);
    const rated = await post(clerk, `/v1/service-orders/${id}/rate`, { stars: 2, comment: '来晚了，没打扫完' });
    expect(rated.body.status).toBe('closed');
    expect(rated.body.service[0]).toMatchObject({ status: 'submitted', reviewNote: expect.stringContaining('来晚了') });
    expect(await coins(members[1])).toBe(before);
    const queue = await t.http().get('/v1/service-records?status=submitted').set(station);
    const waiting = queue.body.items.find((s: any) => s.orderId === id);
    expect(waiting).toMatchObject({ reviewNote: expect.stringContaining('2 星') });
    const verified = await post(station, `/v1/service-records/${waiting.id}/verify`);
    expect(verified.body.credited).toBe('1.00');
    expect((await post(clerk, `/v1/service-orders/${id}/rate`, { stars: 5 })).status).toBe(409);
  });

  it('four eyes on service hours: the deliverer never verifies them by rating, and whoever rated low never reviews them', async () => {
    // The admin may act on every side of an order; it still cannot be two people at once.
    const id = await order();
    await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team });
    await post(admin, `/v1/service-orders/${id}/accept`);
    expect((await post(admin, `/v1/service-orders/${id}/deliver`, { entries: [{ personId: members[0], hours: '1', startedAt: hoursAgo(30) }] })).status).toBe(200);
    const selfRated = await post(admin, `/v1/service-orders/${id}/rate`, { stars: 5 });
    expect(selfRated.status).toBe(422);
    expect(selfRated.body.code).toBe('maker-checker');
    expect((await t.http().get(`/v1/service-orders/${id}`).set(admin)).body.status).toBe('delivered'); // nothing half-written

    const low = await order();
    await post(station, `/v1/service-orders/${low}/dispatch`, { teamId: team });
    await post(organizer, `/v1/service-orders/${low}/accept`);
    await post(organizer, `/v1/service-orders/${low}/deliver`, { entries: [{ personId: members[0], hours: '1', startedAt: hoursAgo(40) }] });
    expect((await post(admin, `/v1/service-orders/${low}/rate`, { stars: 1, comment: '没来' })).body.status).toBe('closed');
    const waiting = (await t.http().get(`/v1/service-records?status=submitted`).set(station)).body.items.find((s: any) => s.orderId === low);
    for (const [who, auth] of [['rater', admin], ['deliverer', organizer]] as const) {
      const res = await post(auth, `/v1/service-records/${waiting.id}/verify`);
      expect([who, res.status, res.body.code]).toEqual([who, 422, 'maker-checker']);
    }
    expect((await post(station, `/v1/service-records/${waiting.id}/verify`)).status).toBe(200);
  });

  it('a team from another village can neither see nor accept the order', async () => {
    const id = await order();
    await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team });
    const outsider = bearer(c.otherVillageKeys.organizer);
    expect((await t.http().get(`/v1/service-orders/${id}`).set(outsider)).status).toBe(404);
    expect((await post(outsider, `/v1/service-orders/${id}/accept`)).status).toBe(404);
    expect((await t.http().get('/v1/service-orders').set(outsider)).body.items.map((o: any) => o.id)).not.toContain(id);
    expect((await t.http().get('/v1/service-orders').set(organizer)).body.items.map((o: any) => o.id)).toContain(id);
    expect((await post(bearer(c.otherVillageKeys.clerk), '/v1/service-orders', { menuCode: 'S01', requester: { type: 'household', id: requester }, regionCode: c.villages[0] })).status).toBe(404);
    await post(clerk, `/v1/service-orders/${id}/cancel`, { reason: '老人住院了' });
  });

  it('the overdue job re-dispatches to another team, then raises to the township; reports add it all up', async () => {
    const second = (await post(admin, '/v1/teams', { name: '关面乡志愿服务队', regionCode: c.townships[0], memberIds: [members[0]] })).body.id;
    const id = await order();
    await post(station, `/v1/service-orders/${id}/dispatch`, { teamId: team });
    const jobs = t.app.get(ServiceOrdersService);
    expect(await jobs.handleOverdue(new Date(Date.now() + 47 * 3600_000), c.tenantId)).toEqual({ redispatched: 0, escalated: 0 });
    expect(await jobs.handleOverdue(new Date(Date.now() + 49 * 3600_000), c.tenantId)).toMatchObject({ redispatched: 1 });
    let o = (await t.http().get(`/v1/service-orders/${id}`).set(station)).body;
    expect(o).toMatchObject({ status: 'dispatched', teamId: second, overdue: true });
    // The second team does not answer either: no team left, so it is raised to the township.
    await t.app.get(ServiceOrdersService).handleOverdue(new Date(Date.now() + 100 * 3600_000), c.tenantId);
    o = (await t.http().get(`/v1/service-orders/${id}`).set(station)).body;
    expect(o).toMatchObject({ status: 'requested', teamId: null, overdue: true, escalatedTo: c.townships[0] });
    expect(o.history[o.history.length - 1].actor).toEqual({ type: 'job', id: 'overdue', name: '系统（订单超时）' });
    const overdue = await t.http().get('/v1/service-orders?overdue=true').set(admin);
    expect(overdue.body.items.map((x: any) => x.id)).toContain(id);
    // A shorter response time for the village applies from now on.
    expect((await t.http().put('/v1/service-settings').set(admin).send({ regionCode: c.villages[0], ratingThreshold: 3, responseHours: 2 })).status).toBe(200);
    const quick = await order();
    expect((await jobs.handleOverdue(new Date(Date.now() + 3 * 3600_000), c.tenantId)).escalated).toBeGreaterThanOrEqual(1);
    expect((await t.http().get(`/v1/service-orders/${quick}`).set(station)).body).toMatchObject({ overdue: true, escalatedTo: c.townships[0] });
    expect((await post(admin, '/v1/jobs/service-orders-overdue')).status).toBe(200);

    const report = await t.http().get(`/v1/reports/service-orders?regionCode=${c.county}`).set(bearer(c.keys.auditor));
    expect(report.status).toBe(200);
    expect(report.body.byStatus).toMatchObject({ closed: 3, cancelled: 1, delivered: 1 });
    expect(report.body.meanStars).toBe('2.67'); // 5, 2 and 1 stars
    expect(report.body.overdue).toBeGreaterThanOrEqual(2);
    expect(Number(report.body.medianHoursToAccept)).toBeGreaterThanOrEqual(0);
    const row = report.body.teams.find((x: any) => x.teamId === team);
    expect(row).toMatchObject({ hours: '6.50', yibiCredited: '5.50' }); // hours delivered (the self-rated order's too); 益币 for verified hours only (the low-rated order's, once reviewed)
    const verify = await t.http().get('/v1/ledger/verify').set(admin);
    expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true });
  });
});
