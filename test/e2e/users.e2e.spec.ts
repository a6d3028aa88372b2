import { DataSource } from 'typeorm';
import { asAdmin, bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, makeUser, newPhone } from '../helpers/fixtures';

/** People sign in (issue 19): phone and password, sessions, lockout, and the name in every trail. */
describe('users and sign-in (e2e)', () => {
  let t: TestApp;
  let c: County;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    db = t.app.get(DataSource);
  });
  afterAll(async () => t.close());

  const signIn = (phone: string, password: string) => t.http().post('/v1/sessions').send({ phone, password });

  it('an admin creates a user; the initial password is shown once and must be changed before anything else', async () => {
    const phone = newPhone();
    const created = await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '王文书', phone, role: 'clerk', scopeRegionCode: c.villages[0] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: '王文书', phone, role: 'clerk', scopeRegionCode: c.villages[0], initialPassword: expect.stringMatching(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}$/) });
    // Stored: an scrypt hash at N=2^17, the phone encrypted and masked, never in clear.
    const [row] = await db.query(`SELECT password_hash, phone_masked, encode(phone_cipher, 'escape') AS cipher FROM users WHERE id = $1`, [created.body.id]);
    expect(row.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row.phone_masked).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    expect(row.cipher).not.toContain(phone);
    // Listed without the password, phone masked.
    const list = await t.http().get('/v1/users').set(bearer(c.keys.auditor));
    const listed = list.body.items.find((u: any) => u.id === created.body.id);
    expect(listed).toMatchObject({ name: '王文书', phone: row.phone_masked, disabled: false, lastSignInAt: null, mustChangePassword: true });
    expect(JSON.stringify(list.body)).not.toContain('initialPassword');

    const first = await signIn(phone, created.body.initialPassword);
    expect(first.status).toBe(201);
    expect(first.body.user).toEqual({ id: created.body.id, name: '王文书', role: 'clerk', scopeRegionCode: c.villages[0], shopId: null, mustChangePassword: true });
    expect(([] as string[]).concat(first.headers['set-cookie']).join(';')).toMatch(/jifen_session=[^;]+;.*HttpOnly.*SameSite=Strict/);
    const token = first.body.token;
    // Nothing but who-am-I, the password change and sign-out until then.
    const blocked = await t.http().get(`/v1/households?q=x`).set(bearer(token));
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('password-change-required');
    expect((await t.http().get('/v1/me').set(bearer(token))).body).toMatchObject({ type: 'user', name: '王文书', scopeRegionName: '泉秀村', mustChangePassword: true });
    const change = (currentPassword: string, newPassword: string) => t.http().put('/v1/me/password').set(bearer(token)).send({ currentPassword, newPassword });
    expect((await change('wrong', 'a-long-enough-one')).status).toBe(400);
    expect((await change(created.body.initialPassword, 'short')).status).toBe(400);
    expect((await change(created.body.initialPassword, `x${phone}`)).status).toBe(400);
    expect((await change(created.body.initialPassword, created.body.initialPassword)).status).toBe(400);
    expect((await change(created.body.initialPassword, '泉秀村文书2026')).status).toBe(204);
    expect((await t.http().get(`/v1/households?q=x`).set(bearer(token))).status).toBe(200);
    expect((await t.http().get('/v1/me').set(bearer(token))).body.mustChangePassword).toBe(false);
    expect((await signIn(phone, created.body.initialPassword)).status).toBe(401);
    expect((await signIn(phone, '泉秀村文书2026')).body.user.mustChangePassword).toBe(false);
  });

  it('a phone number belongs to one user across the platform; bank is not a role for people; users of another tenant are out of reach', async () => {
    const phone = newPhone();
    expect((await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '甲', phone, role: 'auditor' })).status).toBe(201);
    const other = await makeCounty(t);
    const dup = await t.http().post('/v1/users').set(bearer(other.keys.admin)).send({ name: '乙', phone, role: 'auditor' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('phone-taken');
    expect((await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '丙', phone: newPhone(), role: 'bank' })).status).toBe(400);
    expect((await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '丙', phone: '12345', role: 'clerk' })).status).toBe(400);
    expect((await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '丙', phone: newPhone(), role: 'shopkeeper' })).status).toBe(400);
    expect((await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '丙', phone: newPhone(), role: 'clerk', scopeRegionCode: other.villages[0] })).status).toBe(404);
    const mine = await makeUser(t, c.keys.admin, 'clerk', '本县文书', { scopeRegionCode: c.villages[0] });
    for (const path of ['disable', 'enable', 'reset-password']) {
      expect((await t.http().post(`/v1/users/${mine.id}/${path}`).set(bearer(other.keys.admin))).status).toBe(404);
    }
    expect((await t.http().get('/v1/users').set(bearer(other.keys.admin))).body.items.map((u: any) => u.id)).not.toContain(mine.id);
    // The platform admin creates a county's first admin user.
    const first = await t.http().post('/v1/users').set(asAdmin).send({ tenantId: other.tenantId, name: '县管理员', phone: newPhone(), role: 'admin' });
    expect(first.status).toBe(201);
    expect((await t.http().post('/v1/users').set(asAdmin).send({ name: '县管理员', phone: newPhone(), role: 'admin' })).status).toBe(400);
  });

  it('a wrong password and an unknown phone get the same 401; the fifth failure in 15 minutes is 429 with Retry-After, even for the right password', async () => {
    const u = await makeUser(t, c.keys.admin, 'reviewer', '李审核', { scopeRegionCode: c.villages[0] });
    const wrong = await signIn(u.phone, 'not-it-at-all');
    const unknown = await signIn(newPhone(), 'not-it-at-all');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.body.code).toBe(unknown.body.code);
    for (let i = 2; i <= 4; i++) expect((await signIn(u.phone, `wrong-${i}`)).status).toBe(401);
    const fifth = await signIn(u.phone, 'wrong-5');
    expect(fifth.status).toBe(429);
    expect(Number(fifth.headers['retry-after'])).toBeGreaterThan(14 * 60);
    expect(fifth.body.detail).toContain('分钟后再试');
    expect((await signIn(u.phone, u.password)).status).toBe(429);
    // The window passes: signing in works again.
    await db.query(`UPDATE sign_in_failures SET at = at - interval '16 minutes'`);
    expect((await signIn(u.phone, u.password)).status).toBe(201);
  });

  it('sessions end on sign-out, on a password reset, when the user is disabled, and after 12 hours without use', async () => {
    const u = await makeUser(t, c.keys.admin, 'organizer', '赵组织', { scopeRegionCode: c.villages[0] });
    const me = (token: string) => t.http().get('/v1/me').set(bearer(token));
    expect((await me(u.token)).status).toBe(200);
    expect((await t.http().delete('/v1/sessions/current').set(bearer(u.token))).status).toBe(204);
    expect((await me(u.token)).status).toBe(401);

    const s2 = (await signIn(u.phone, u.password)).body.token;
    const reset = await t.http().post(`/v1/users/${u.id}/reset-password`).set(bearer(c.keys.admin));
    expect(reset.status).toBe(200);
    expect((await me(s2)).status).toBe(401);
    expect((await signIn(u.phone, u.password)).status).toBe(401);
    const s3 = await signIn(u.phone, reset.body.initialPassword);
    expect(s3.body.user.mustChangePassword).toBe(true);

    const disabled = await t.http().post(`/v1/users/${u.id}/disable`).set(bearer(c.keys.admin));
    expect(disabled.body.disabled).toBe(true);
    expect((await me(s3.body.token)).status).toBe(401);
    expect((await signIn(u.phone, reset.body.initialPassword)).status).toBe(401);
    expect((await t.http().post(`/v1/users/${u.id}/enable`).set(bearer(c.keys.admin))).body.disabled).toBe(false);
    const s4 = (await signIn(u.phone, reset.body.initialPassword)).body.token;
    expect((await me(s4)).status).toBe(200);
    await db.query(`UPDATE user_sessions SET last_used_at = now() - interval '12 hours 1 minute' WHERE user_id = $1`, [u.id]);
    expect((await me(s4)).status).toBe(401);
  });

  it('a user acts with its role and scope exactly as a key does, and trails name it', async () => {
    const clerk = await makeUser(t, c.keys.admin, 'clerk', '王文书', { scopeRegionCode: c.villages[0] });
    const reviewer = await makeUser(t, c.keys.admin, 'reviewer', '周审核', { scopeRegionCode: c.villages[0] });
    const own = await makeHousehold(t, c.keys.admin, c.villages[0], '钱一');
    const elsewhere = await makeHousehold(t, c.keys.admin, c.villages[2], '钱二');
    expect((await t.http().get(`/v1/households/${own}`).set(bearer(clerk.token))).status).toBe(200);
    expect((await t.http().get(`/v1/households/${elsewhere}`).set(bearer(clerk.token))).status).toBe(404);
    const rs = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin))
      .send({ regionCode: c.county, asset: 'CONDUCT', name: '红黄榜', effectiveFrom: '2026-01-01', items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '2' }] });
    await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(c.keys.admin));
    const rec = await t.http().post('/v1/records').set(bearer(clerk.token)).send({ holder: { type: 'household', id: own }, ruleCode: 'R01', occurredOn: '2026-11-02' });
    expect(rec.status).toBe(201);
    const approve = await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(clerk.token));
    expect(approve.status).toBe(403);
    expect(approve.body.code).toBe('role-not-allowed');
    expect((await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(reviewer.token))).status).toBe(200);
    const got = await t.http().get(`/v1/records/${rec.body.id}`).set(bearer(reviewer.token));
    expect(got.body.enteredBy).toEqual({ type: 'user', id: clerk.id, name: '王文书' });
    expect(got.body.history.map((h: any) => [h.to, h.actor.name])).toEqual([['submitted', '王文书'], ['in_notice', '周审核']]);
    // A transfer by an admin user carries its name.
    const admin = await makeUser(t, c.keys.admin, 'admin', '县管理员');
    const tx = await t.http().post('/v1/transfers').set(bearer(admin.token)).set('Idempotency-Key', `u-${Date.now()}`)
      .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: own }, amount: '1', memo: '补录' });
    expect(tx.body.actor).toEqual({ type: 'user', id: admin.id, name: '县管理员' });
    expect((await t.http().get(`/v1/transactions/${tx.body.id}`).set(bearer(c.keys.auditor))).body.actor).toEqual({ type: 'user', id: admin.id, name: '县管理员' });
  });
});
