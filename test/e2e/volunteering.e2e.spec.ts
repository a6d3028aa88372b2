import { readFileSync } from 'fs';
import * as path from 'path';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makePerson } from '../helpers/fixtures';

describe('volunteer hours and 益币 (e2e)', () => {
  let t: TestApp;
  let c: County;
  let organizer: Record<string, string>;
  let reviewer: Record<string, string>;

  const activity = async (startsAt: string, endsAt: string, extra: object = {}) => {
    const res = await t.http().post('/v1/activities').set(organizer).send({ title: '敬老院助老服务', category: '助老', regionCode: c.villages[0], startsAt, endsAt, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  };
  const coins = async (person: string) => {
    const res = await t.http().get(`/v1/holders/person/${person}/balances`).set(bearer(c.keys.admin));
    return res.body.balances.find((b: any) => b.asset === 'YIBI').balance;
  };

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    organizer = bearer(c.keys.organizer);
    reviewer = bearer(c.keys.reviewer);
    const program = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', 'renqiu-yibi.json'), 'utf8'));
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({ ...program, regionCode: c.county });
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
  });
  afterAll(async () => t.close());

  it('propose → listed → attendance → verify: signed hours credit 1 益币 an hour, backfilled hours credit nothing', async () => {
    const a = await activity('2026-05-01T01:00:00Z', '2026-05-01T05:00:00Z');
    expect(a.status).toBe('proposed');
    const p1 = await makePerson(t, c.keys.clerk, c.villages[0], '小张');
    const p2 = await makePerson(t, c.keys.clerk, c.villages[0], '老李');
    const unlisted = await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p1, hours: '3', kind: 'signed' }] });
    expect(unlisted.status).toBe(422);
    const listed = await t.http().post(`/v1/activities/${a.id}/approve`).set(reviewer);
    expect(listed.body).toMatchObject({ status: 'listed', signInCode: expect.stringMatching(/^\d{6}$/) });
    const att = await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({
      entries: [{ personId: p1, hours: '3', kind: 'signed' }, { personId: p2, hours: '2.5', kind: 'backfilled' }],
    });
    expect(att.status).toBe(201);
    const [r1, r2] = att.body.items;
    const v1 = await t.http().post(`/v1/service-records/${r1.id}/verify`).set(reviewer);
    expect(v1.body).toMatchObject({ status: 'verified', credited: '3.00', transactionId: expect.any(String) });
    const v2 = await t.http().post(`/v1/service-records/${r2.id}/verify`).set(organizer);
    expect(v2.body).toMatchObject({ status: 'verified', credited: '0.00', transactionId: null });
    expect(await coins(p1)).toBe('3.00');
    expect(await coins(p2)).toBe('0.00');
    expect((await t.http().post(`/v1/service-records/${r1.id}/verify`).set(reviewer)).status).toBe(409);
    const summary = await t.http().get(`/v1/people/${p2}/service`).set(bearer(c.keys.clerk));
    expect(summary.body).toMatchObject({ verifiedHours: '2.50', credited: '0.00', stars: 0 });
  });

  it('refuses hours beyond the activity or its cap, duplicates and overlapping service', async () => {
    const a = await activity('2026-05-02T01:00:00Z', '2026-05-02T05:00:00Z', { maxHoursPerPerson: '3' });
    const b = await activity('2026-05-02T04:00:00Z', '2026-05-02T08:00:00Z');
    for (const x of [a, b]) await t.http().post(`/v1/activities/${x.id}/approve`).set(reviewer);
    const p = await makePerson(t, c.keys.clerk, c.villages[0], '小王');
    expect((await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '3.5', kind: 'signed' }] })).status).toBe(422);
    expect((await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '3', kind: 'signed' }] })).status).toBe(201);
    expect((await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '1', kind: 'signed' }] })).status).toBe(409);
    const overlap = await t.http().post(`/v1/activities/${b.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '1', kind: 'signed' }] });
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('attendance-overlap');
  });

  it('caps the coins a day (8 an hour-day in the Renqiu program)', async () => {
    const p = await makePerson(t, c.keys.clerk, c.villages[0], '小刘');
    const a = await activity('2026-05-03T00:00:00Z', '2026-05-03T06:00:00Z');
    const b = await activity('2026-05-03T07:00:00Z', '2026-05-03T12:00:00Z');
    for (const x of [a, b]) await t.http().post(`/v1/activities/${x.id}/approve`).set(reviewer);
    const ra = (await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '6', kind: 'signed' }] })).body.items[0];
    const rb = (await t.http().post(`/v1/activities/${b.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '5', kind: 'signed' }] })).body.items[0];
    expect((await t.http().post(`/v1/service-records/${ra.id}/verify`).set(reviewer)).body.credited).toBe('6.00');
    expect((await t.http().post(`/v1/service-records/${rb.id}/verify`).set(reviewer)).body.credited).toBe('2.00');
  });

  it('an organizer sees only its own region', async () => {
    const a = await activity('2026-05-04T01:00:00Z', '2026-05-04T02:00:00Z');
    const far = bearer(c.otherVillageKeys.organizer);
    expect((await t.http().post(`/v1/activities/${a.id}/attendance`).set(far).send({ entries: [] })).status).toBe(400);
    expect((await t.http().post(`/v1/activities/${a.id}/approve`).set(bearer(c.otherVillageKeys.reviewer))).status).toBe(404);
    expect((await t.http().post('/v1/activities').set(far).send({ title: 'x', category: 'y', regionCode: c.villages[0], startsAt: '2026-05-05T01:00:00Z', endsAt: '2026-05-05T02:00:00Z' })).status).toBe(404);
  });

  it('lists the library and the verification queue within scope; another village sees none of it', async () => {
    const a = await activity('2026-05-20T01:00:00Z', '2026-05-20T03:00:00Z');
    const proposed = await t.http().get('/v1/activities?status=proposed').set(organizer);
    expect(proposed.status).toBe(200);
    expect(proposed.body.items.map((x: any) => x.id)).toContain(a.id);
    expect((await t.http().get(`/v1/activities/${a.id}`).set(bearer(c.keys.clerk))).body).toMatchObject({ id: a.id, status: 'proposed' });
    expect((await t.http().get(`/v1/activities/${a.id}`).set(bearer(c.otherVillageKeys.organizer))).status).toBe(404);
    const elsewhere = await t.http().get('/v1/activities').set(bearer(c.otherVillageKeys.organizer));
    expect(elsewhere.body.items.map((x: any) => x.id)).not.toContain(a.id);
    expect((await t.http().get(`/v1/activities?regionCode=${c.villages[0]}`).set(bearer(c.otherVillageKeys.organizer))).status).toBe(404);

    await t.http().post(`/v1/activities/${a.id}/approve`).set(reviewer);
    const p1 = await makePerson(t, c.keys.clerk, c.villages[0], '小王');
    const att = await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p1, hours: '2', kind: 'signed' }] });
    const queue = await t.http().get(`/v1/service-records?status=submitted&activityId=${a.id}`).set(reviewer);
    expect(queue.body.items).toEqual([expect.objectContaining({ id: att.body.items[0].id, personId: p1, hours: '2', status: 'submitted', activityTitle: '敬老院助老服务' })]);
    await t.http().post(`/v1/service-records/${att.body.items[0].id}/verify`).set(reviewer);
    expect((await t.http().get(`/v1/service-records?status=submitted&activityId=${a.id}`).set(reviewer)).body.items).toEqual([]);
    expect((await t.http().get(`/v1/service-records?personId=${p1}`).set(bearer(c.otherVillageKeys.organizer))).body.items).toEqual([]);
    // Pages: one at a time, with a cursor.
    const first = await t.http().get('/v1/activities?limit=1').set(organizer);
    expect(first.body.items).toHaveLength(1);
    const second = await t.http().get(`/v1/activities?limit=1&cursor=${first.body.nextCursor}`).set(organizer);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});
