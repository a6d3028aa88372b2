/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import * as ExcelJS from 'exceljs';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { County, makeCounty, makeHousehold, makeUser, newIdempotencyKey, newPhone, SignedInUser } from '../helpers/fixtures';

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
  let hhNo: string;
  const users = {} as Record<'clerk' | 'reviewer' | 'shopkeeper' | 'admin' | 'organizer', SignedInUser>;
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-console-'));

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    c = await makeCounty(t);
    const admin = bearer(c.keys.admin);
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '控制台测试', effectiveFrom: '2026-01-01',
      items: [
        { code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5', noticeDays: 0, caps: [{ period: 'month', maxCount: 3 }] },
        { code: 'R02', name: '帮助邻里', direction: 'credit', points: '3', noticeDays: 7 },
      ],
    });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin);
    hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '王小明');
    hhNo = (await t.http().get(`/v1/households/${hh}`).set(bearer(c.keys.clerk))).body.no;
    const scoped = { scopeRegionCode: c.villages[0] };
    users.clerk = await makeUser(t, c.keys.admin, 'clerk', '王文书', scoped);
    users.reviewer = await makeUser(t, c.keys.admin, 'reviewer', '李站长', scoped);
    users.organizer = await makeUser(t, c.keys.admin, 'organizer', '赵队长', scoped);
    users.shopkeeper = await makeUser(t, c.keys.admin, 'shopkeeper', '周店主', { shopId: c.shopId });
    users.admin = await makeUser(t, c.keys.admin, 'admin', '陈主任');
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

  /** Signed in as a person, with phone and password, on a phone screen. */
  async function signIn(user: { phone: string; password: string }): Promise<Page> {
    const page = await phone();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#phone', { state: 'visible' });
    await page.fill('#phone', user.phone);
    await page.fill('#password', user.password);
    await page.keyboard.press('Enter'); // keyboard-usable: the form submits on Enter
    await page.waitForSelector('#tabs button');
    return page;
  }
  /** The admin's key sign-in, folded away under the phone form. */
  async function signInWithKey(page: Page, key: string): Promise<void> {
    await page.goto(`${base}/console`);
    await page.waitForSelector('#phone', { state: 'visible' });
    await page.click('#key-signin summary');
    await page.fill('#apikey', key);
    await page.click('#key-form button');
  }
  const text = async (page: Page, sel: string) => (await page.textContent(sel)) ?? '';
  const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it('a person signs in into an HttpOnly, SameSite=Strict cookie; keys are for the admin only; a bad key is refused in words', async () => {
    const page = await phone();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#phone', { state: 'visible' });
    expect(await page.textContent('label[for=phone]')).toBe('手机号');
    await shot(page, '0-sign-in');
    await signInWithKey(page, 'jf_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.waitForSelector('#flash .err');
    expect(await text(page, '#flash')).toContain('无效');
    await signInWithKey(page, c.keys.clerk);
    await page.waitForSelector('#flash .err');
    expect(await text(page, '#flash')).toContain('请用手机号和密码登录');
    await shot(page, '1-sign-in-refused');
    const admin = await phone();
    await signInWithKey(admin, c.keys.admin);
    await admin.waitForSelector('#tabs button');
    const clerk = await signIn(users.clerk);
    const cookies = await clerk.context().cookies();
    const session = cookies.find((k) => k.name === 'jifen_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session.expires).toBeGreaterThan(Date.now() / 1000);
    expect(session.expires).toBeLessThan(Date.now() / 1000 + 13 * 3600);
    expect(await clerk.evaluate(() => document.cookie)).not.toContain('jifen_session');
    expect(await text(clerk, '#who-text')).toContain('泉秀村 · 村文书 王文书');
    // Without the CSRF header a state-changing request is refused, even with the cookie.
    const forged = await clerk.evaluate(async (id) => (await fetch('/v1/records', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ holder: { type: 'household', id }, ruleCode: 'R01', occurredOn: '2026-11-01' }) })).status, hh);
    expect(forged).toBe(403);
    await clerk.click('#logout');
    await clerk.waitForSelector('#phone', { state: 'visible' });
  });

  it('a clerk signs in with the initial password, changes it, finds a household by 户号, enters a record and sees her own name in its history', async () => {
    const phoneNo = newPhone();
    const created = await t.http().post('/v1/users').set(bearer(c.keys.admin)).send({ name: '刘文书', phone: phoneNo, role: 'clerk', scopeRegionCode: c.villages[0] });
    const page = await signInFirstTime(phoneNo, created.body.initialPassword);
    await shot(page, '18-change-initial-password');
    await page.fill('#current-password', created.body.initialPassword);
    await page.fill('#new-password', '123');
    await page.fill('#new-password-2', '123');
    await page.click('#password-submit');
    await page.waitForSelector('#flash .err'); // too short: the browser or the server says so
    await page.fill('#current-password', created.body.initialPassword);
    await page.fill('#new-password', 'quanxiu-2026');
    await page.fill('#new-password-2', 'quanxiu-2026');
    await page.click('#password-submit');
    await page.waitForSelector('#tabs button');
    expect(await text(page, '#who-text')).toContain('刘文书');
    // Finds the household by the last digits of its 户号, and picks it: the field shows the whole number.
    await page.fill('#who-search', String(Number(hhNo.split('-')[1])));
    await page.click('#search');
    await page.waitForSelector('#search-results .item button');
    expect(await text(page, '#search-results')).toContain(`户号 ${hhNo}`);
    expect(await text(page, '#search-results')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/); // never a UUID
    await page.click('#search-results .item button');
    await page.waitForFunction(() => (document.querySelector('#rule-info')?.textContent ?? '').includes('公示'));
    expect(await page.inputValue('#hh')).toBe(hhNo);
    expect(await text(page, '#hh-info')).toContain('王小明');
    await page.click('#enter-form button[type=submit]');
    await page.waitForSelector('#entered .actor');
    expect(await text(page, '#entered')).toContain('刘文书');
    expect(await noSideways(page)).toBe(true);
    await shot(page, '19-clerk-record-with-name');
    // And the new password is the one that works from now on.
    expect((await t.http().post('/v1/sessions').send({ phone: phoneNo, password: 'quanxiu-2026' })).status).toBe(201);
  });

  async function signInFirstTime(phoneNo: string, password: string): Promise<Page> {
    const page = await phone();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#phone', { state: 'visible' });
    await page.fill('#phone', phoneNo);
    await page.fill('#password', password);
    await page.click('#signin-submit');
    await page.waitForSelector('#change-password', { state: 'visible' });
    return page;
  }

  it('a wrong password five times shows the lockout message', async () => {
    const u = await makeUser(t, c.keys.admin, 'auditor', '吴审计');
    const page = await phone();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#phone', { state: 'visible' });
    for (let i = 1; i <= 5; i++) {
      await page.fill('#phone', u.phone);
      await page.fill('#password', `wrong-${i}`);
      await page.evaluate(() => { document.querySelector('#flash')!.textContent = ''; });
      await page.click('#signin-submit');
      await page.waitForSelector('#flash .err');
      if (i < 5) expect(await text(page, '#flash')).toContain('手机号或密码不对');
    }
    await page.waitForFunction(() => (document.querySelector('#flash')?.textContent ?? '').includes('分钟后再试'));
    expect(await text(page, '#flash')).toContain('密码连续输错 5 次');
    expect(await noSideways(page)).toBe(true);
    await shot(page, '20-sign-in-locked');
  });

  it('a clerk enters a record from the rule set; a reviewer approves it; both on a phone screen', async () => {
    const clerk = await signIn(users.clerk);
    expect(await clerk.$$eval('#tabs button', (b) => b.map((x) => x.textContent))).toEqual(['录入记录', '记录查询', '批量导入', '户卡']);
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

    const reviewer = await signIn(users.reviewer);
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
    const shop = await signIn(users.shopkeeper);
    await shop.waitForSelector('#holder');
    await shop.fill('#holder', hhNo);
    await shop.fill('#q-SOAP', '2');
    await shop.fill('#pin', '000000');
    await shop.click('#redeem-form button[type=submit]');
    await shop.waitForSelector('#done');
    expect(await text(shop, '#done')).toContain('PIN 不正确');
    await shot(shop, '7-shop-wrong-pin');
    await shop.click('#view button');
    await shop.waitForSelector('#holder');
    await shop.fill('#holder', hhNo);
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
    const clerk = await signIn(users.clerk);
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
    const reviewer = await signIn(users.reviewer);
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
    const admin = await signIn(users.admin);
    await admin.click('#tabs button[data-view=boards]');
    await admin.waitForSelector('#board-village');
    expect(await admin.$eval(`#board-village option[value="${c.villages[0]}"]`, (o) => o.textContent)).toContain('泉秀村'); // picked by name
    await admin.selectOption('#board-village', c.villages[0]);
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
    const reviewer = await signIn(users.reviewer);
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

    const organizer = await signIn(users.organizer);
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

  it('a shopkeeper redeems by scanning the household\'s door card: the card\'s QR code fills in the 户号', async () => {
    // The card as printed: rendered by the service, its QR code photographed (a screenshot of it).
    const printer = await signIn(users.clerk);
    await printer.goto(`${base}/v1/households/${hh}/card`);
    await printer.waitForSelector('.card .qr svg');
    await shot(printer, '21-door-card');
    const photo = path.join(dir, 'card-photo.png');
    await printer.locator('.card').screenshot({ path: photo });
    await printer.goto(`${base}/v1/villages/${c.villages[0]}/cards`);
    await printer.waitForSelector('.sheet .card');
    await printer.setViewportSize({ width: 794, height: 1123 }); // A4 at 96 dpi, as it prints
    await shot(printer, '22-card-sheet');

    const shop = await signIn(users.shopkeeper);
    await shop.waitForSelector('#holder');
    expect(await shop.evaluate(() => 'BarcodeDetector' in window)).toBe(false); // Chromium on Linux: the jsQR fallback reads it
    await shop.setInputFiles('#holder-photo', photo);
    await shop.waitForFunction((no) => (document.querySelector('#holder') as HTMLInputElement).value === no, hhNo);
    expect(await text(shop, '#flash')).toContain(`已扫码：户号 ${hhNo}`);
    await shop.fill('#q-SOAP', '1');
    await shop.fill('#pin', '123456');
    await shop.click('#redeem-form button[type=submit]');
    await shop.waitForSelector('#done.ok');
    expect(await text(shop, '#done')).toContain('兑换成功');
    expect(await noSideways(shop)).toBe(true);
    await shot(shop, '23-shop-scanned-and-redeemed');

    // The card is lost: the clerk makes a new one; the old card's code is refused at the counter.
    await printer.setViewportSize({ width: 360, height: 740 });
    await printer.goto(`${base}/console`);
    await printer.click('#tabs button[data-view=cards]');
    await printer.fill('#rotate-no', hhNo);
    const [newCard] = await Promise.all([printer.context().waitForEvent('page'), printer.click('#rotate')]);
    await printer.waitForSelector('#flash .ok');
    expect(await text(printer, '#flash')).toContain('旧卡作废');
    await newCard.waitForSelector('.card .qr svg');
    await shop.click('#view button');
    await shop.waitForSelector('#holder');
    await shop.setInputFiles('#holder-photo', photo);
    await shop.waitForSelector('#flash .err');
    expect(await text(shop, '#flash')).toContain('没有认出户卡');
    expect(await shop.inputValue('#holder')).toBe('');
  });

  it('a clerk downloads the village\'s template, fills two rows, and uploads it', async () => {
    const clerk = await signIn(users.clerk);
    await clerk.click('#tabs button[data-view=import]');
    await clerk.waitForSelector('#template-village');
    expect(await clerk.$eval('#template-village', (s: HTMLSelectElement) => s.selectedOptions[0].textContent)).toContain('泉秀村');
    const [download] = await Promise.all([clerk.waitForEvent('download'), clerk.click('#download-template')]);
    const template = path.join(dir, 'template.xlsx');
    await download.saveAs(template);
    expect(download.suggestedFilename()).toBe('泉秀村积分登记表.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(template);
    const sheet = wb.worksheets[0];
    const row = [...Array(sheet.rowCount).keys()].map((i) => i + 1).find((r) => sheet.getCell(r, 1).value === hhNo)!;
    expect(sheet.getCell(row, 2).value).toBe('王小明');
    sheet.getCell(row, 3).value = '孝老爱亲';
    sheet.getCell(row, 4).value = 1;
    sheet.getCell(row, 5).value = new Date(Date.UTC(2026, 8, 3));
    const other = await makeHousehold(t, c.keys.clerk, c.villages[0], '赵四');
    const otherNo = (await t.http().get(`/v1/households/${other}`).set(bearer(c.keys.clerk))).body.no;
    sheet.addRow([otherNo, '赵四', '孝老爱亲', 1, '2026年9月4日', '新登记的户']);
    const filled = path.join(dir, 'filled.xlsx');
    await wb.xlsx.writeFile(filled);
    await clerk.setInputFiles('#csv', filled);
    await clerk.click('#check-import');
    await clerk.waitForSelector('#commit-import');
    expect(await text(clerk, '#import-report')).toContain('可导入 2 行，有问题 0 行');
    await shot(clerk, '24-import-template-checked');
    await clerk.click('#commit-import');
    await clerk.waitForSelector('#flash .ok');
    expect(await text(clerk, '#flash')).toContain('导入完成：2 条');
    // A refused line is shown with its row number, in Chinese.
    sheet.getCell(row, 5).value = '2026/9/31';
    await wb.xlsx.writeFile(filled);
    await clerk.setInputFiles('#csv', filled);
    await clerk.click('#check-import');
    await clerk.waitForFunction(() => (document.querySelector('#import-report')?.textContent ?? '').includes('有问题 1 行'));
    expect(await text(clerk, '#import-report')).toContain(`第 ${row} 行：发生日期「2026/9/31」看不懂`);
    expect(await noSideways(clerk)).toBe(true);
    await shot(clerk, '25-import-screen-refused-line');
  });
  it('a villager opens the door card\'s page, sees the family\'s rank, unlocks the details with the PIN and claims a good deed with a photo; a reviewer sees the photo and approves; after notice the points show on the page', async () => {
    const family = await makeHousehold(t, c.keys.clerk, c.villages[0], '刘大爷');
    const rotated = await t.http().post(`/v1/households/${family}/card/rotate`).set(bearer(c.keys.clerk));
    const cardPath = new URL(rotated.body.url).pathname;
    const page = await phone();
    await page.goto(`${base}${cardPath}`);
    expect(await text(page, '#rank')).toMatch(/本月全村第 \d+ 名 \/ 共 \d+ 户/);
    expect(await text(page, '#balance')).toBe('0.00');
    expect(await noSideways(page)).toBe(true);
    // Large type: the balance is at least 40 px tall on a 360 px screen.
    expect(await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById('balance')!).fontSize))).toBeGreaterThanOrEqual(40);
    await shot(page, '30-household-page');

    await page.fill('#pin', '000000');
    await page.click('#pinForm button');
    await page.waitForSelector('#pinMsg.err');
    expect(await text(page, '#pinMsg')).toContain('PIN 不正确');
    await page.fill('#pin', '123456');
    await page.click('#pinForm button');
    await page.waitForSelector('#unlocked', { state: 'visible' });
    expect(await text(page, '#records')).toContain('还没有记录');

    const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 30, g: 120, b: 60 } } }).jpeg().toBuffer();
    await page.selectOption('#ruleCode', 'R02');
    await page.fill('#note', '帮邻居把稻谷收进屋');
    await page.setInputFiles('#photos', { name: 'deed.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.click('#claimButton');
    await page.waitForSelector('#claimMsg.ok');
    expect(await text(page, '#claimMsg')).toContain('已提交：帮助邻里');
    expect(await text(page, '#records')).toContain('待审核');
    expect(await noSideways(page)).toBe(true);
    await shot(page, '31-household-claim-submitted');

    const reviewer = await signIn(users.reviewer);
    await reviewer.click('#tabs button[data-view="review"]');
    const item = '.item.claim';
    await reviewer.waitForSelector(`${item} img`);
    expect(await reviewer.textContent(item)).toContain('【村民申报】');
    expect(await reviewer.textContent(item)).toContain('帮邻居把稻谷收进屋');
    // The photo loads through the reviewer's session.
    await reviewer.waitForFunction((sel) => { const img = document.querySelector(sel) as HTMLImageElement | null; return !!img && img.complete && img.naturalWidth === 320; }, `${item} img`);
    await shot(reviewer, '32-review-claim-with-photo');
    await reviewer.click(`${item} button:has-text("通过")`);
    await reviewer.waitForSelector('#flash .ok');

    // Seven days of public notice later, the notice job posts it.
    await t.app.get(DataSource).query(`UPDATE records SET notice_ends_on = '2026-01-02' WHERE tenant_id = $1 AND holder_id = $2 AND status = 'in_notice'`, [c.tenantId, family]);
    expect((await t.http().post('/v1/jobs/post-records').set(bearer(c.keys.admin))).body.posted).toBeGreaterThanOrEqual(1);
    await page.reload();
    await page.waitForSelector('#unlocked', { state: 'visible' }); // still within the 30-minute session
    expect(await text(page, '#balance')).toBe('3.00');
    expect(await text(page, '#monthNet')).toBe('+3.00');
    expect(await text(page, '#records')).toContain('已入账');
    await shot(page, '33-household-points-posted');
  });
  it('the county sees its villages by participation rate, lowest first, on a phone', async () => {
    const page = await signIn(users.admin);
    await page.click('#tabs button[data-view="participation"]');
    await page.waitForSelector('#participation [data-village]');
    const villages = await page.$$eval('#participation [data-village]', (els) => els.map((e) => ({ code: e.getAttribute('data-village'), text: e.textContent ?? '' })));
    expect(villages.map((v) => v.code)).toEqual(expect.arrayContaining([...c.villages]));
    const rates = villages.map((v) => Number(/(\d+)%/.exec(v.text)![1]));
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    expect(villages[villages.length - 1].code).toBe(c.villages[0]); // the only village with anything going on
    expect(await noSideways(page)).toBe(true);
    await shot(page, '34-participation');
  });
});
