import { readFileSync } from 'fs';
import * as path from 'path';
import { Clock } from '../../src/platform/util/clock';
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
  /** Sets the server's clock (check-ins take its time, never the client's). */
  const clockAt = (iso: string) => jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date(iso));
  /** Checks a person in at `from` and out at `to` with the activity's code, on the organizer's phone. */
  const checkInOut = async (a: { id: string; signInCode: string }, personId: string, from: string, to: string) => {
    clockAt(from);
    expect((await t.http().post(`/v1/activities/${a.id}/check-ins`).set(organizer).send({ personId, code: a.signInCode })).status).toBe(201);
    clockAt(to);
    expect((await t.http().post(`/v1/activities/${a.id}/check-outs`).set(organizer).send({ personId, code: a.signInCode })).status).toBe(201);
  };
  const list = async (a: { id: string }) => (await t.http().post(`/v1/activities/${a.id}/approve`).set(reviewer)).body as { id: string; signInCode: string };
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
  afterEach(() => jest.restoreAllMocks());

  it('propose → listed → attendance → verify: signed hours credit 1 益币 an hour, backfilled hours credit nothing', async () => {
    const a = await activity('2026-05-01T01:00:00Z', '2026-05-01T05:00:00Z');
    expect(a.status).toBe('proposed');
    const p1 = await makePerson(t, c.keys.clerk, c.villages[0], '小张');
    const p2 = await makePerson(t, c.keys.clerk, c.villages[0], '老李');
    const unlisted = await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p1, hours: '3', kind: 'signed' }] });
    expect(unlisted.status).toBe(422);
    const listed = await t.http().post(`/v1/activities/${a.id}/approve`).set(reviewer);
    expect(listed.body).toMatchObject({ status: 'listed', signInCode: expect.stringMatching(/^\d{6}$/) });
    await checkInOut(listed.body, p1, '2026-05-01T00:55:00Z', '2026-05-01T04:10:00Z');
    const att = await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({
      entries: [{ personId: p1, hours: '3', kind: 'signed' }, { personId: p2, hours: '2.5', kind: 'backfilled', reason: '纸质签到表补录' }],
    });
    expect(att.status).toBe(201);
    const [r1, r2] = att.body.items;
    // Whoever entered the attendance never verifies it.
    const own = await t.http().post(`/v1/service-records/${r1.id}/verify`).set(organizer);
    expect(own.status).toBe(422);
    expect(own.body.code).toBe('maker-checker');
    const v1 = await t.http().post(`/v1/service-records/${r1.id}/verify`).set(reviewer);
    expect(v1.body).toMatchObject({ status: 'verified', credited: '3.00', transactionId: expect.any(String) });
    const v2 = await t.http().post(`/v1/service-records/${r2.id}/verify`).set(bearer(c.keys.admin));
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
    const [la, lb] = [await list(a), await list(b)];
    const p = await makePerson(t, c.keys.clerk, c.villages[0], '小王');
    await checkInOut(la, p, '2026-05-02T01:00:00Z', '2026-05-02T05:00:00Z');
    await checkInOut(lb, p, '2026-05-02T04:00:00Z', '2026-05-02T05:00:00Z');
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
    const [la, lb] = [await list(a), await list(b)];
    await checkInOut(la, p, '2026-05-03T00:00:00Z', '2026-05-03T06:00:00Z');
    await checkInOut(lb, p, '2026-05-03T07:00:00Z', '2026-05-03T12:00:00Z');
    const ra = (await t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '6', kind: 'signed' }] })).body.items[0];
    const rb = (await t.http().post(`/v1/activities/${b.id}/attendance`).set(organizer).send({ entries: [{ personId: p, hours: '5', kind: 'signed' }] })).body.items[0];
    expect((await t.http().post(`/v1/service-records/${ra.id}/verify`).set(reviewer)).body.credited).toBe('6.00');
    expect((await t.http().post(`/v1/service-records/${rb.id}/verify`).set(reviewer)).body.credited).toBe('2.00');
  });

  it('whoever proposed an activity does not list it', async () => {
    const res = await t.http().post('/v1/activities').set(bearer(c.keys.admin)).send({ title: '自己申报', category: '助老', regionCode: c.villages[0], startsAt: '2026-05-06T01:00:00Z', endsAt: '2026-05-06T02:00:00Z' });
    const own = await t.http().post(`/v1/activities/${res.body.id}/approve`).set(bearer(c.keys.admin));
    expect([own.status, own.body.code]).toEqual([422, 'maker-checker']);
    expect((await t.http().post(`/v1/activities/${res.body.id}/approve`).set(reviewer)).status).toBe(200);
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

    const la = await list(a);
    const p1 = await makePerson(t, c.keys.clerk, c.villages[0], '小王');
    await checkInOut(la, p1, '2026-05-20T01:00:00Z', '2026-05-20T03:00:00Z');
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

  it('people are found by name within scope, for the check-in screen; names are masked for auditors', async () => {
    const p = await makePerson(t, c.keys.clerk, c.villages[0], '欧阳志愿');
    const found = await t.http().get(`/v1/people?q=${encodeURIComponent('阳志')}`).set(organizer);
    expect(found.body.items).toEqual([{ id: p, regionCode: c.villages[0], name: '欧阳志愿' }]);
    expect((await t.http().get(`/v1/people?q=${encodeURIComponent('阳志')}`).set(bearer(c.otherVillageKeys.organizer))).body.items).toEqual([]);
    expect((await t.http().get(`/v1/people?q=${encodeURIComponent('阳志')}`).set(bearer(c.keys.auditor))).body.items[0].name).toBe('欧阳*愿');
    expect((await t.http().get('/v1/people?q=').set(organizer)).status).toBe(400);
  });

  describe('proven attendance', () => {
    it('a check-in takes the activity\'s code, during the activity ±30 minutes, at the server\'s clock', async () => {
      const a = await list(await activity('2026-06-01T01:00:00Z', '2026-06-01T03:00:00Z'));
      const p = await makePerson(t, c.keys.clerk, c.villages[0], '小陈');
      const checkIn = (body: object) => t.http().post(`/v1/activities/${a.id}/check-ins`).set(organizer).send(body);
      const wrong = String((Number(a.signInCode) + 1) % 1_000_000).padStart(6, '0');
      clockAt('2026-06-01T00:29:00Z'); // 31 minutes early
      expect((await checkIn({ personId: p, code: a.signInCode })).body.code).toBe('outside-activity-window');
      clockAt('2026-06-01T03:31:00Z'); // 31 minutes late
      expect((await checkIn({ personId: p, code: a.signInCode })).body.code).toBe('outside-activity-window');
      clockAt('2026-06-01T00:31:00Z');
      const bad = await checkIn({ personId: p, code: wrong });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('wrong-code');
      expect((await checkIn({ personId: p, code: '12345' })).status).toBe(400);
      // The time is the server's: a client's own time is not a field.
      expect((await checkIn({ personId: p, code: a.signInCode, at: '2026-06-01T00:00:00Z' })).status).toBe(400);
      const out0 = await t.http().post(`/v1/activities/${a.id}/check-outs`).set(organizer).send({ personId: p, code: a.signInCode });
      expect(out0.body.code).toBe('not-checked-in');
      const ok = await checkIn({ personId: p, code: a.signInCode });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ personId: p, event: 'check-in', at: '2026-06-01T00:31:00.000Z' });
      expect((await checkIn({ personId: p, code: a.signInCode })).body.code).toBe('already-checked-in');
      clockAt('2026-06-01T02:16:00Z');
      const out = await t.http().post(`/v1/activities/${a.id}/check-outs`).set(organizer).send({ personId: p, code: a.signInCode });
      expect(out.body).toMatchObject({ event: 'check-out', at: '2026-06-01T02:16:00.000Z', hours: '1.75' });
      const who = await t.http().get(`/v1/activities/${a.id}/check-ins`).set(bearer(c.keys.clerk));
      expect(who.body.items).toEqual([{ personId: p, name: '小陈', checkedInAt: '2026-06-01T00:31:00.000Z', checkedOutAt: '2026-06-01T02:16:00.000Z', hours: '1.75' }]);
      // Another village's organizer neither checks in to it nor sees it.
      clockAt('2026-06-01T02:20:00Z');
      expect((await t.http().post(`/v1/activities/${a.id}/check-ins`).set(bearer(c.otherVillageKeys.organizer)).send({ personId: p, code: a.signInCode })).status).toBe(404);
      expect((await t.http().get(`/v1/activities/${a.id}/check-ins`).set(bearer(c.otherVillageKeys.organizer))).status).toBe(404);
      // Only organizers (and admins) hold the phone.
      expect((await t.http().post(`/v1/activities/${a.id}/check-ins`).set(bearer(c.keys.clerk)).send({ personId: p, code: a.signInCode })).status).toBe(403);
    });

    it('signed hours need a check-in and a check-out, and are at most their span; backfilled hours need a reason', async () => {
      const a = await list(await activity('2026-06-02T01:00:00Z', '2026-06-02T05:00:00Z'));
      const [p1, p2, p3] = [await makePerson(t, c.keys.clerk, c.villages[0], '甲'), await makePerson(t, c.keys.clerk, c.villages[0], '乙'), await makePerson(t, c.keys.clerk, c.villages[0], '丙')];
      const attend = (entries: object[]) => t.http().post(`/v1/activities/${a.id}/attendance`).set(organizer).send({ entries });
      // Never checked in.
      const none = await attend([{ personId: p1, hours: '1', kind: 'signed' }]);
      expect(none.status).toBe(422);
      expect(none.body.code).toBe('not-checked-in');
      // Checked in, never out.
      clockAt('2026-06-02T01:00:00Z');
      await t.http().post(`/v1/activities/${a.id}/check-ins`).set(organizer).send({ personId: p2, code: a.signInCode });
      expect((await attend([{ personId: p2, hours: '1', kind: 'signed' }])).body.code).toBe('not-checked-in');
      // More hours than the span.
      await checkInOut(a, p1, '2026-06-02T01:00:00Z', '2026-06-02T03:00:00Z');
      const over = await attend([{ personId: p1, hours: '2.5', kind: 'signed' }]);
      expect(over.body.code).toBe('not-checked-in');
      expect(over.body.detail).toContain('2.00');
      // Backfilled without a reason, or with an empty one.
      expect((await attend([{ personId: p3, hours: '1', kind: 'backfilled' }])).status).toBe(400);
      expect((await attend([{ personId: p3, hours: '1', kind: 'backfilled', reason: '' }])).status).toBe(400);
      // All or nothing: the refusals wrote no service record.
      expect((await t.http().get(`/v1/service-records?activityId=${a.id}`).set(reviewer)).body.items).toEqual([]);
      const ok = await attend([{ personId: p1, hours: '2', kind: 'signed' }, { personId: p3, hours: '1', kind: 'backfilled', reason: '手机没电，按纸质签到表补录' }]);
      expect(ok.status).toBe(201);
      expect(ok.body.items.map((x: any) => x.kind)).toEqual(['signed', 'backfilled']);
    });
  });
});
