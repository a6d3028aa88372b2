/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

jest.setTimeout(120_000);

/**
 * The console in a real browser: Debian's Chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium; `.ci/run` installs it) driven headless by playwright-core
 * against the test server, on a 360 px phone screen. Each test leaves a
 * screenshot of its final screen in test/artifacts/browser/.
 */
const ARTIFACTS = path.join(__dirname, '..', 'artifacts', 'browser');
describe('the console in a browser', () => {
  let t: TestApp;
  let c: County;
  let base: string;
  let browser: Browser;
  let hh: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-console-'));

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    c = await makeCounty(t);
    const admin = bearer(c.keys.admin);
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '控制台测试', effectiveFrom: '2026-01-01',
      items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5', noticeDays: 0, caps: [{ period: 'month', maxCount: 3 }] }],
    });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin);
    hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '王小明');
    await t.http().post('/v1/transfers').set(admin).set('Idempotency-Key', newIdempotencyKey())
      .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount: '50', memo: '测试' });
    await t.http().post(`/v1/shops/${c.shopId}/items`).set(bearer(c.keys.shopkeeper)).send({ sku: 'SOAP', name: '洗衣皂', asset: 'CONDUCT', price: '5', stock: 10 });
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser profile (its own cookies) on a 360 px wide phone screen. */
  const phone = async () => (await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' })).newPage();
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** Signed in with `key` on a phone screen. */
  async function signIn(key: string): Promise<Page> {
    const page = await phone();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#apikey', { state: 'visible' });
    await page.fill('#apikey', key);
    await page.keyboard.press('Enter'); // keyboard-usable: the form submits on Enter
    await page.waitForSelector('#tabs button');
    return page;
  }
  const text = async (page: Page, sel: string) => (await page.textContent(sel)) ?? '';
  const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it('signs in with a key into an HttpOnly, SameSite=Strict cookie; a bad key is refused in words', async () => {
    const page = await phone();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#apikey', { state: 'visible' });
    expect(await page.textContent('label[for=apikey]')).toBe('API 密钥');
    await page.fill('#apikey', 'jf_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.click('#signin-form button');
    await page.waitForSelector('#flash .err');
    expect(await text(page, '#flash')).toContain('无效');
    const clerk = await signIn(c.keys.clerk);
    await shot(page, '1-sign-in-refused');
    const cookies = await clerk.context().cookies();
    const session = cookies.find((k) => k.name === 'jifen_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session.expires).toBeGreaterThan(Date.now() / 1000);
    expect(session.expires).toBeLessThan(Date.now() / 1000 + 9 * 3600);
    expect(session.value).not.toContain(c.keys.clerk.slice(3, 20)); // the key itself is sealed
    expect(await clerk.evaluate(() => document.cookie)).not.toContain('jifen_session');
    // Without the CSRF header a state-changing request is refused, even with the cookie.
    const forged = await clerk.evaluate(async (id) => (await fetch('/v1/records', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ holder: { type: 'household', id }, ruleCode: 'R01', occurredOn: '2026-11-01' }) })).status, hh);
    expect(forged).toBe(403);
    await clerk.click('#logout');
    await clerk.waitForSelector('#apikey', { state: 'visible' });
  });

  it('a clerk enters a record from the rule set; a reviewer approves it; both on a phone screen', async () => {
    const clerk = await signIn(c.keys.clerk);
    expect(await clerk.$$eval('#tabs button', (b) => b.map((x) => x.textContent))).toEqual(['录入记录', '记录查询', '批量导入']);
    await clerk.fill('#who-search', '小明');
    await clerk.click('#search');
    await clerk.waitForSelector('#search-results .item button');
    expect(await text(clerk, '#search-results')).toContain('王小明');
    await clerk.click('#search-results .item button'); // picks the household and loads its rules
    await clerk.waitForFunction(() => (document.querySelector('#rule-info')?.textContent ?? '').includes('公示'));
    await shot(clerk, '2-clerk-entering');
    expect(await text(clerk, '#hh-info')).toContain('王小明');
    expect(await text(clerk, '#rule-info')).toContain('每月最多 3 次');
    await clerk.click('#enter-form button[type=submit]');
    await clerk.waitForSelector('#flash .ok');
    expect(await text(clerk, '#flash')).toContain('待审核');
    expect(await noSideways(clerk)).toBe(true);
    await shot(clerk, '3-clerk-entered');

    const reviewer = await signIn(c.keys.reviewer);
    await reviewer.click('#tabs button[data-view=review]');
    await reviewer.waitForFunction(() => Array.from(document.querySelectorAll('#view h2')).some((h) => (h.textContent ?? '').startsWith('待审核')));
    expect(await text(reviewer, '#view')).toContain('孝老爱亲');
    await shot(reviewer, '4-reviewer-queue');
    await reviewer.locator('#view section .item button').first().click();
    await reviewer.waitForSelector('#flash .ok');
    expect(await text(reviewer, '#flash')).toContain('已通过');
    await shot(reviewer, '5-reviewer-approved');
    expect(await noSideways(reviewer)).toBe(true);
    // The clerk's list shows it posted (noticeDays 0).
    await clerk.click('#tabs button[data-view=records]');
    await clerk.waitForFunction(() => (document.querySelector('#view')?.textContent ?? '').includes('已入账'));
    await shot(clerk, '6-clerk-records');
  });

  it('a shopkeeper redeems at the counter: enough → done; a wrong PIN → refused in words; never a balance', async () => {
    const shop = await signIn(c.keys.shopkeeper);
    await shop.waitForSelector('#holder');
    await shop.fill('#holder', hh);
    await shop.fill('#q-SOAP', '2');
    await shop.fill('#pin', '000000');
    await shop.click('#redeem-form button[type=submit]');
    await shop.waitForSelector('#done');
    expect(await text(shop, '#done')).toContain('PIN 不正确');
    await shot(shop, '7-shop-wrong-pin');
    await shop.click('#view button');
    await shop.waitForSelector('#holder');
    await shop.fill('#holder', hh);
    await shop.fill('#q-SOAP', '2');
    await shop.fill('#pin', '123456');
    await shop.click('#redeem-form button[type=submit]');
    await shop.waitForSelector('#done.ok');
    const done = await text(shop, '#done');
    expect(done).toContain('兑换成功');
    expect(done).toContain('10.00');
    expect(done).not.toMatch(/余额|balance/);
    expect(await noSideways(shop)).toBe(true);
    await shot(shop, '8-shop-done');
    await shop.click('#tabs button[data-view=today]');
    await shop.waitForFunction(() => (document.querySelector('#view h2')?.textContent ?? '').includes('1 笔'));
    expect(await text(shop, '#view')).toContain('洗衣皂×2');
    await shot(shop, '9-shop-today');
  });

  it('a clerk checks a CSV line by line before anything is written, then imports it', async () => {
    const clerk = await signIn(c.keys.clerk);
    await clerk.click('#tabs button[data-view=import]');
    await clerk.waitForSelector('#csv');
    const write = async (name: string, body: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, body);
      await clerk.setInputFiles('#csv', file);
    };
    await write('bad.csv', `holderType,holderId,ruleCode,quantity,occurredOn,note\nhousehold,${hh},R01,1,2026-11-02,ok\nhousehold,${hh},R99,1,2026-11-02,bad\n`);
    await clerk.click('#check-import');
    await clerk.waitForFunction(() => (document.querySelector('#import-report')?.textContent ?? '').includes('有问题'));
    expect(await text(clerk, '#import-report')).toContain('第 3 行');
    expect(await clerk.$('#commit-import')).toBeNull(); // nothing to confirm while a line is bad
    await shot(clerk, '10-import-report');
    const before = (await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.length;
    await write('good.csv', `holderType,holderId,ruleCode,quantity,occurredOn,note\nhousehold,${hh},R01,1,2026-10-02,ok\n`);
    await clerk.click('#check-import');
    await clerk.waitForSelector('#commit-import');
    expect((await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.length).toBe(before); // the check wrote nothing
    await clerk.click('#commit-import');
    await clerk.waitForSelector('#flash .ok');
    expect(await text(clerk, '#flash')).toContain('导入完成');
    await shot(clerk, '11-import-done');
    expect((await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.length).toBe(before + 1);

    // A reviewer approves the whole import (issue 18): the import is one decision of one meeting.
    const reviewer = await signIn(c.keys.reviewer);
    await reviewer.click('#tabs button[data-view=review]');
    await reviewer.waitForFunction(() => (document.querySelector('#pending-imports h2')?.textContent ?? '').startsWith('待审批的导入（1）'));
    expect(await text(reviewer, '#pending-imports')).toContain('导入 1 条，待审批 1 条');
    await reviewer.fill('#pending-imports input', '11月村民代表评议会');
    await shot(reviewer, '11b-import-to-approve');
    await reviewer.locator('#pending-imports .item button').click();
    await reviewer.waitForSelector('#flash .ok');
    expect(await text(reviewer, '#flash')).toContain('已整批通过 1 条');
    expect(await text(reviewer, '#pending-imports h2')).toBe('待审批的导入（0）');
    expect(await noSideways(reviewer)).toBe(true);
    const [record] = (await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.filter((r: any) => r.occurredOn === '2026-10-02');
    expect(record.status).not.toBe('submitted');
  });

  it('the admin publishes a board and sees charts; the station dispatches a service order', async () => {
    const admin = await signIn(c.keys.admin);
    await admin.click('#tabs button[data-view=boards]');
    await admin.waitForSelector('#board-village');
    await admin.fill('#board-village', c.villages[0]);
    await admin.click('#board-make');
    await admin.waitForSelector('#board-publish');
    expect(await text(admin, '#board-out')).toContain('王小明');
    await admin.click('#board-publish');
    await admin.waitForSelector('#flash .ok');
    const period = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    await shot(admin, '12-admin-board-published');
    // The public board page, as the village wall shows it.
    const pub = await phone();
    await pub.goto(`${base}/public/boards/${c.villages[0]}/${period}`);
    expect(await pub.textContent('h1')).toContain('红黑榜');
    expect(await pub.textContent('body')).toContain('王*明');
    expect(await pub.textContent('body')).not.toContain('王小明');
    expect(await noSideways(pub)).toBe(true);
    await shot(pub, '13-public-board');
    await admin.click('#tabs button[data-view=stats]');
    await admin.waitForSelector('#view svg rect', { state: 'attached' });
    expect(await admin.$$eval('#view svg', (x) => x.length)).toBeGreaterThanOrEqual(1);
    expect(await noSideways(admin)).toBe(true);
    await shot(admin, '14-admin-charts');

    const station = bearer(c.keys.admin);
    await t.http().post('/v1/service-menu').set(station).send({ code: 'S01', title: '上门打扫卫生', category: '助老', regionCode: c.county });
    const person = (await t.http().post('/v1/people').set(bearer(c.keys.clerk)).send({ name: '志愿者', regionCode: c.villages[0] })).body.id;
    await t.http().post('/v1/teams').set(station).send({ name: '泉秀村志愿服务队', regionCode: c.villages[0], memberIds: [person] });
    const order = await t.http().post('/v1/service-orders').set(bearer(c.keys.clerk)).send({ menuCode: 'S01', requester: { type: 'household', id: hh }, regionCode: c.villages[0] });
    const reviewer = await signIn(c.keys.reviewer);
    await reviewer.click('#tabs button[data-view=orders]');
    await reviewer.waitForFunction(() => (document.querySelector('#view')?.textContent ?? '').includes('上门打扫卫生'));
    await reviewer.locator('#view section').first().locator('.item button').first().click();
    await reviewer.waitForSelector('#flash .ok');
    await shot(reviewer, '15-station-dispatched');
    expect((await t.http().get(`/v1/service-orders/${order.body.id}`).set(station)).body.status).toBe('dispatched');
  });

  it('a volunteer checks in on the organizer\'s phone with the code; the activity\'s page shows the code big', async () => {
    const startsAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const endsAt = new Date(Date.now() + 2 * 3600_000).toISOString();
    const act = await t.http().post('/v1/activities').set(bearer(c.keys.organizer)).send({ title: '村口环境整治', category: '环保', regionCode: c.villages[0], startsAt, endsAt });
    const code: string = (await t.http().post(`/v1/activities/${act.body.id}/approve`).set(bearer(c.keys.reviewer))).body.signInCode;
    await t.http().post('/v1/people').set(bearer(c.keys.clerk)).send({ name: '张志愿', regionCode: c.villages[0] });

    const organizer = await signIn(c.keys.organizer);
    await organizer.click('#tabs button[data-view=checkin]');
    await organizer.waitForSelector('#ci-activity');
    expect(await text(organizer, '#ci-activity')).toContain('村口环境整治');
    await organizer.fill('#ci-name', '张志愿');
    await organizer.click('#checkin button:has-text("查找")');
    await organizer.waitForSelector('#ci-people .item button');
    await organizer.click('#ci-people .item button');
    expect(await text(organizer, '#ci-chosen')).toContain('张志愿');
    await organizer.fill('#ci-code', code === '000000' ? '111111' : '000000');
    await organizer.click('#ci-in');
    await organizer.waitForSelector('#flash .err');
    expect(await text(organizer, '#flash')).toContain('签到码不对');
    await organizer.fill('#ci-code', code);
    await organizer.click('#ci-in');
    await organizer.waitForSelector('#flash .ok');
    expect(await text(organizer, '#flash')).toMatch(/张志愿 已签到，\d\d:\d\d/);
    expect(await noSideways(organizer)).toBe(true);
    await shot(organizer, '16-volunteer-checked-in');

    await organizer.click('#tabs button[data-view=activities]');
    await organizer.locator('#view .item', { hasText: '村口环境整治' }).locator('button', { hasText: '活动页' }).click();
    await organizer.waitForSelector('#sign-in-code');
    expect(await text(organizer, '#sign-in-code')).toBe(code);
    const px = await organizer.$eval('#sign-in-code', (e) => parseFloat(getComputedStyle(e).fontSize));
    expect(px).toBeGreaterThanOrEqual(60); // readable across a room
    expect(await text(organizer, '#activity-page')).toContain('张志愿');
    expect(await noSideways(organizer)).toBe(true);
    await shot(organizer, '17-activity-sign-in-code');
  });
});
