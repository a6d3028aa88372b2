import { createHash } from 'crypto';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { shanghaiToday } from '../../src/platform/util/business-date';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold } from '../helpers/fixtures';

/**
 * The villagers' own page (issue 21): a door card's page without login, the
 * household's PIN session, claims with photos, and that nothing of the page
 * reaches another household.
 */
describe('villagers page (e2e)', () => {
  let t: TestApp;
  let c: County;
  const today = shanghaiToday();
  const PIN = '123456';
  const hh = { a: '', b: '', d: '' };
  const tokens = { a: '', b: '', d: '' };

  const tokenOf = async (householdId: string) => {
    const res = await t.http().post(`/v1/households/${householdId}/card/rotate`).set(bearer(c.keys.clerk));
    expect(res.status).toBe(200);
    return /\/h\/([A-Za-z0-9_-]{32})$/.exec(res.body.url)![1];
  };
  const record = async (householdId: string, ruleCode: string) => {
    const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: householdId }, ruleCode, occurredOn: today });
    expect(rec.status).toBe(201);
    const approved = await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(c.keys.reviewer));
    expect(approved.status).toBe(200);
    return approved.body;
  };
  const json = (token: string) => t.http().get(`/h/${token}`).set('Accept', 'application/json');
  const unlock = async (token: string, pin = PIN) => {
    const res = await t.http().post(`/h/${token}/session`).send({ pin });
    return { res, cookie: (res.headers['set-cookie'] as unknown as string[] | undefined)?.[0]?.split(';')[0] ?? '' };
  };
  /** A small JPEG carrying a camera's EXIF, with a GPS position. */
  const gpsPhoto = () =>
    sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .jpeg()
      .withExif({ IFD0: { Make: 'TestCam', Model: 'Villager 1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '31/1 10/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '108/1 24/1 0/1' } })
      .toBuffer();

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: c.county, asset: 'CONDUCT', name: '红黄榜', effectiveFrom: '2026-01-01', redeemFloor: '3',
      sanctions: [{ code: 'S01', benefitCodes: ['REDEEM'], when: { balanceBelow: '0' }, liftWhen: { balanceAtLeast: '0' } }],
      items: [
        { code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5', noticeDays: 3 },
        { code: 'R02', name: '清扫公共区域', direction: 'credit', points: '2', noticeDays: 0 },
        { code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '1', noticeDays: 0 },
      ],
    });
    expect(set.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    hh.a = await makeHousehold(t, c.keys.clerk, c.villages[0], '王小明');
    hh.b = await makeHousehold(t, c.keys.clerk, c.villages[0], '李大山');
    hh.d = await makeHousehold(t, c.keys.clerk, c.villages[0], '赵三');
    for (const k of ['a', 'b', 'd'] as const) tokens[k] = await tokenOf(hh[k]);
    await record(hh.a, 'R02');
    for (let i = 0; i < 3; i++) await record(hh.b, 'R02');
    await record(hh.d, 'Y01');
  });
  afterAll(async () => t.close());

  it('shows the family its points, this month\'s rank in the village and the rules, without login; unknown and rotated cards are 404', async () => {
    const page = await json(tokens.a);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      householdNo: expect.stringMatching(new RegExp(`^${c.villages[0]}-\\d{4}$`)),
      villageName: '泉秀村',
      headName: '王*明',
      balance: '2.00',
      monthNet: '2.00',
      monthRank: 2,
      villageHouseholds: 3,
      boardUrl: `/public/boards/${c.villages[0]}/${today.slice(0, 7)}`,
    });
    expect(page.body.items).toEqual([
      { code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5.00', unit: null },
      { code: 'R02', name: '清扫公共区域', direction: 'credit', points: '2.00', unit: null },
      { code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '1.00', unit: null },
    ]);
    expect(JSON.stringify(page.body)).not.toContain(hh.a);
    expect(page.headers['cache-control']).toBe('public, max-age=60');
    expect(page.headers.vary).toMatch(/Accept/);
    expect((await json(tokens.b)).body).toMatchObject({ monthNet: '6.00', monthRank: 1 });
    expect((await json(tokens.d)).body).toMatchObject({ monthNet: '-1.00', monthRank: 3, balance: '-1.00' });

    const html = await t.http().get(`/h/${tokens.a}`);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('本月全村第 2 名 / 共 3 户');
    expect(html.text).toContain('红榜');
    expect(html.text).toContain('乱扔垃圾');
    expect(html.text).toContain(`/public/boards/${c.villages[0]}/`);
    expect(html.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    for (const bad of ['A'.repeat(32), 'short', `${tokens.a}x`, hh.a]) expect((await json(bad)).status).toBe(404);
    // Below zero, the family's redemptions are suspended: its details say so, and what lifts it.
    const d = await unlock(tokens.d);
    const dHistory = await t.http().get(`/h/${tokens.d}/history`).set('Cookie', d.cookie);
    expect(dHistory.body.sanctions).toEqual([expect.objectContaining({ code: 'S01', benefitCodes: ['REDEEM'], liftsWhen: expect.stringContaining('积分回到 0 分以上') })]);
    expect(dHistory.body.redeemable).toBe('0.00');
    const old = tokens.d;
    tokens.d = await tokenOf(hh.d);
    expect((await json(old)).status).toBe(404);
    expect((await t.http().post(`/h/${old}/session`).send({ pin: PIN })).status).toBe(404);
  });

  it('the PIN opens 30 minutes of details: records with their notice end, what may be redeemed above the floor; another card\'s session opens nothing', async () => {
    expect((await t.http().get(`/h/${tokens.a}/history`)).status).toBe(401);
    const wrong = await unlock(tokens.a, '000000');
    expect(wrong.res.status).toBe(422);
    expect(wrong.res.body.code).toBe('pin-incorrect');
    const { res, cookie } = await unlock(tokens.a);
    expect(res.status).toBe(200);
    const setCookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(setCookie).toMatch(new RegExp(`Path=/h/${tokens.a}`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=1800/);

    const inNotice = await record(hh.a, 'R01');
    expect(inNotice.status).toBe('in_notice');
    const history = await t.http().get(`/h/${tokens.a}/history`).set('Cookie', cookie);
    expect(history.status).toBe(200);
    expect(history.headers['cache-control']).toBe('no-store');
    expect(history.body.redeemable).toBe('0.00'); // 2 held, 3 is the floor
    expect(history.body.redeemFloor).toBe('3.00');
    expect(history.body.records[0]).toMatchObject({ ruleName: '孝老爱亲', status: 'in_notice', noticeEndsOn: inNotice.noticeEndsOn, points: '5.00' });
    expect(history.body.entries[0]).toMatchObject({ asset: 'CONDUCT', amount: '2.00' });

    // Another household's card with this session: nothing (the session is this household's only).
    expect((await t.http().get(`/h/${tokens.b}/history`).set('Cookie', cookie)).status).toBe(401);
    expect((await t.http().post(`/h/${tokens.b}/claims`).set('Cookie', cookie).field('ruleCode', 'R02').field('occurredOn', today)).status).toBe(401);
    // A forged cookie opens nothing either.
    expect((await t.http().get(`/h/${tokens.a}/history`).set('Cookie', `jifen_h=${'x'.repeat(43)}`)).status).toBe(401);

    expect((await t.http().delete(`/h/${tokens.a}/session`).set('Cookie', cookie)).status).toBe(204);
    expect((await t.http().get(`/h/${tokens.a}/history`).set('Cookie', cookie)).status).toBe(401);
  });

  it('five wrong PINs lock the page and the shop together', async () => {
    const e = await makeHousehold(t, c.keys.clerk, c.villages[0], '钱五');
    const token = await tokenOf(e);
    const shop = (pin: string) =>
      t.http().post('/v1/redemptions').set(bearer(c.keys.shopkeeper)).set('Idempotency-Key', `k-${Math.random()}`)
        .send({ shopId: c.shopId, holder: { type: 'household', id: e }, pin, asset: 'CONDUCT', amount: '1' });
    for (let i = 0; i < 3; i++) expect((await unlock(token, '000000')).res.status).toBe(422);
    expect((await shop('000000')).body.code).toBe('pin-incorrect');
    const fifth = await unlock(token, '000000');
    expect(fifth.res.status).toBe(429);
    expect(Number(fifth.res.headers['retry-after'])).toBe(900);
    // Locked everywhere, the right PIN included.
    expect((await shop(PIN)).status).toBe(429);
    expect((await unlock(token)).res.status).toBe(429);
  });

  it('a claim with a photo: the photo\'s EXIF and GPS are gone, a reviewer sees it and approves, and after notice the points show on the page', async () => {
    const { cookie } = await unlock(tokens.a);
    const photo = await gpsPhoto();
    expect((await sharp(photo).metadata()).exif?.toString('latin1')).toContain('TestCam');
    const claim = await t.http().post(`/h/${tokens.a}/claims`).set('Cookie', cookie)
      .field('ruleCode', 'R01').field('occurredOn', today).field('note', '帮邻居收稻谷').attach('photos', photo, { filename: 'IMG_0001.jpg', contentType: 'image/jpeg' });
    expect(claim.status).toBe(201);
    expect(claim.body).toMatchObject({ status: 'submitted', ruleName: '孝老爱亲', points: '5.00', photos: 1 });

    const queue = await t.http().get('/v1/records?source=claim&status=submitted').set(bearer(c.keys.reviewer));
    expect(queue.body.items.map((r: any) => r.id)).toContain(claim.body.id);
    const rec = await t.http().get(`/v1/records/${claim.body.id}`).set(bearer(c.keys.reviewer));
    expect(rec.body).toMatchObject({ source: 'claim', status: 'submitted', enteredBy: { type: 'household', id: hh.a }, note: '帮邻居收稻谷' });
    expect(rec.body.evidence).toHaveLength(1);
    const stored = await t.http().get(`/v1/records/${claim.body.id}/evidence/0`).set(bearer(c.keys.reviewer)).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (d: Buffer) => chunks.push(d));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(stored.status).toBe(200);
    expect(stored.headers['content-type']).toBe('image/jpeg');
    const bytes = stored.body as Buffer;
    const meta = await sharp(bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.format).toBe('jpeg');
    expect(bytes.toString('latin1')).not.toMatch(/TestCam|GPS|Exif/);
    expect(rec.body.evidence[0]).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    // Staff of another village, and a photo that is not there: 404.
    expect((await t.http().get(`/v1/records/${claim.body.id}/evidence/0`).set(bearer(c.otherVillageKeys.reviewer))).status).toBe(404);
    expect((await t.http().get(`/v1/records/${claim.body.id}/evidence/1`).set(bearer(c.keys.reviewer))).status).toBe(404);

    // The same photo again is stored once.
    const again = await t.http().post(`/h/${tokens.a}/claims`).set('Cookie', cookie).field('ruleCode', 'R02').field('occurredOn', today).attach('photos', photo, 'same.jpg');
    expect(again.status).toBe(201);
    expect((await t.http().get(`/v1/records/${again.body.id}`).set(bearer(c.keys.reviewer))).body.evidence).toEqual(rec.body.evidence);
    const [{ n }] = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM evidence_files WHERE tenant_id = $1`, [c.tenantId]);
    expect(n).toBe(1);

    // Reviewed like any record: approved into notice, posted when the notice ends.
    const before = (await json(tokens.a)).body.balance;
    const approved = await t.http().post(`/v1/records/${claim.body.id}/approve`).set(bearer(c.keys.reviewer));
    expect(approved.body.status).toBe('in_notice');
    await t.app.get(DataSource).query(`UPDATE records SET notice_ends_on = $3 WHERE tenant_id = $1 AND id = $2`, [c.tenantId, claim.body.id, '2026-01-02']);
    expect((await t.http().post('/v1/jobs/post-records').set(bearer(c.keys.admin))).status).toBe(200);
    expect(Number((await json(tokens.a)).body.balance)).toBe(Number(before) + 5);
    const history = await t.http().get(`/h/${tokens.a}/history`).set('Cookie', cookie);
    expect(history.body.records.find((r: any) => r.id === claim.body.id)).toMatchObject({ status: 'posted', source: 'claim', photos: 1 });
  });

  it('refuses a debit item, a PNG renamed .exe, a program named .png and a 6 MB photo, writing nothing; a rejection\'s reason shows on the page', async () => {
    const { cookie } = await unlock(tokens.b);
    const count = async () => (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1 AND holder_id = $2`, [c.tenantId, hh.b]))[0].n;
    const before = await count();
    const claim = () => t.http().post(`/h/${tokens.b}/claims`).set('Cookie', cookie).field('ruleCode', 'R02').field('occurredOn', today);
    const debit = await t.http().post(`/h/${tokens.b}/claims`).set('Cookie', cookie).field('ruleCode', 'Y01').field('occurredOn', today);
    expect(debit.status).toBe(422);
    expect(debit.body.code).toBe('debit-not-claimable');
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0a0' } }).png().toBuffer();
    const renamed = await claim().attach('photos', png, { filename: 'setup.exe', contentType: 'application/octet-stream' });
    expect(renamed.status).toBe(415);
    const program = await claim().attach('photos', Buffer.from('MZ\x90\x00 this is not a picture'), { filename: 'photo.png', contentType: 'image/png' });
    expect(program.status).toBe(415);
    const huge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(6 * 1024 * 1024, 1)]);
    const tooBig = await claim().attach('photos', huge, { filename: 'big.jpg', contentType: 'image/jpeg' });
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.code).toBe('photo-too-large');
    const four = await claim().attach('photos', png, 'a.png').attach('photos', png, 'b.png').attach('photos', png, 'c.png').attach('photos', png, 'd.png');
    expect(four.status).toBe(400);
    const old = await t.http().post(`/h/${tokens.b}/claims`).set('Cookie', cookie).field('ruleCode', 'R02').field('occurredOn', '2025-01-01');
    expect(old.status).toBe(422);
    expect(await count()).toBe(before);

    const ok = await claim().attach('photos', png, 'ok.png');
    expect(ok.status).toBe(201);
    const rejected = await t.http().post(`/v1/records/${ok.body.id}/reject`).set(bearer(c.keys.reviewer)).send({ reason: '照片看不出是清扫' });
    expect(rejected.status).toBe(200);
    const history = await t.http().get(`/h/${tokens.b}/history`).set('Cookie', cookie);
    expect(history.body.records.find((r: any) => r.id === ok.body.id)).toMatchObject({ status: 'rejected', reason: '照片看不出是清扫' });
    // The rejected record keeps its photo.
    expect((await t.http().get(`/v1/records/${ok.body.id}/evidence/0`).set(bearer(c.keys.reviewer))).status).toBe(200);
  });

  it('a household claims at most ten times a day', async () => {
    const f = await makeHousehold(t, c.keys.clerk, c.villages[0], '孙六');
    const token = await tokenOf(f);
    const { cookie } = await unlock(token);
    for (let i = 0; i < 10; i++) {
      expect((await t.http().post(`/h/${token}/claims`).set('Cookie', cookie).field('ruleCode', 'R02').field('occurredOn', today)).status).toBe(201);
    }
    const eleventh = await t.http().post(`/h/${token}/claims`).set('Cookie', cookie).field('ruleCode', 'R02').field('occurredOn', today);
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.detail).toContain('一天最多申报 10 次');
  });
});
