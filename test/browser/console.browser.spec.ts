import chromium from '@sparticuz/chromium';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

jest.setTimeout(120_000);

/**
 * The console in a real browser: Chromium from the @sparticuz/chromium npm
 * package (no system browser needed), driven by puppeteer-core against the
 * test server. A clerk enters a record, a reviewer approves it, a shopkeeper
 * redeems at the counter with the holder's PIN — on a 360 px phone screen.
 */
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
    browser = await puppeteer.launch({ args: [...chromium.args.filter((a: string) => a !== '--single-process'), '--no-sandbox'], executablePath: await chromium.executablePath(), headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser profile (its own cookies) on a 360 px wide phone screen, signed in with `key`. */
  async function signIn(key: string): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 360, height: 740, isMobile: true });
    await page.goto(`${base}/console`);
    await page.waitForSelector('#apikey', { visible: true });
    await page.type('#apikey', key);
    await page.keyboard.press('Enter'); // keyboard-usable: the form submits on Enter
    await page.waitForSelector('#tabs button');
    return page;
  }
  const text = (page: Page, sel: string) => page.$eval(sel, (e) => e.textContent ?? '');
  const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it('signs in with a key into an HttpOnly, SameSite=Strict cookie; a bad key is refused in words', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    await page.waitForSelector('#apikey', { visible: true });
    expect(await page.$eval('label[for=apikey]', (e) => e.textContent)).toBe('API 密钥');
    await page.type('#apikey', 'jf_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.click('#signin-form button');
    await page.waitForSelector('#flash .err');
    expect(await text(page, '#flash')).toContain('无效');
    const clerk = await signIn(c.keys.clerk);
    const cookies = await clerk.cookies();
    const session = cookies.find((k) => k.name === 'jifen_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session.expires).toBeGreaterThan(Date.now() / 1000);
    expect(session.value).not.toContain(c.keys.clerk.slice(3, 20)); // the key itself is sealed
    expect(await clerk.evaluate(() => document.cookie)).not.toContain('jifen_session');
    // Without the CSRF header a state-changing request is refused, even with the cookie.
    const forged = await clerk.evaluate(async (id) => (await fetch('/v1/records', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ holder: { type: 'household', id }, ruleCode: 'R01', occurredOn: '2026-11-01' }) })).status, hh);
    expect(forged).toBe(403);
    await clerk.click('#logout');
    await clerk.waitForSelector('#apikey', { visible: true });
  });

  it('a clerk enters a record from the rule set; a reviewer approves it; both on a phone screen', async () => {
    const clerk = await signIn(c.keys.clerk);
    expect(await clerk.$$eval('#tabs button', (b) => b.map((x) => x.textContent))).toEqual(['录入记录', '记录查询', '批量导入']);
    await clerk.type('#who-search', '小明');
    await clerk.click('#search');
    await clerk.waitForSelector('#search-results .item button');
    expect(await text(clerk, '#search-results')).toContain('王小明');
    await clerk.click('#search-results .item button'); // picks the household and loads its rules
    await clerk.waitForFunction(() => (document.querySelector('#rule-info')?.textContent ?? '').includes('公示'));
    expect(await text(clerk, '#hh-info')).toContain('王小明');
    expect(await text(clerk, '#rule-info')).toContain('每月最多 3 次');
    await clerk.click('#enter-form button[type=submit]');
    await clerk.waitForSelector('#flash .ok');
    expect(await text(clerk, '#flash')).toContain('待审核');
    expect(await noSideways(clerk)).toBe(true);

    const reviewer = await signIn(c.keys.reviewer);
    await reviewer.click('#tabs button[data-view=review]');
    await reviewer.waitForFunction(() => (document.querySelector('#view h2')?.textContent ?? '').startsWith('待审核'));
    expect(await text(reviewer, '#view')).toContain('孝老爱亲');
    const approve = await reviewer.$$('#view section .item button');
    await approve[0].click();
    await reviewer.waitForSelector('#flash .ok');
    expect(await text(reviewer, '#flash')).toContain('已通过');
    expect(await noSideways(reviewer)).toBe(true);
    // The clerk's list shows it posted (noticeDays 0).
    await clerk.click('#tabs button[data-view=records]');
    await clerk.waitForFunction(() => (document.querySelector('#view')?.textContent ?? '').includes('已入账'));
  });

  it('a shopkeeper redeems at the counter: enough → done; a wrong PIN → refused in words; never a balance', async () => {
    const shop = await signIn(c.keys.shopkeeper);
    await shop.waitForSelector('#holder');
    await shop.type('#holder', hh);
    await shop.$eval('#q-SOAP', (e) => ((e as HTMLInputElement).value = '2'));
    await shop.type('#pin', '000000');
    await shop.click('#redeem-form button[type=submit]');
    await shop.waitForSelector('#done');
    expect(await text(shop, '#done')).toContain('PIN 不正确');
    await shop.click('#view button');
    await shop.waitForSelector('#holder');
    await shop.type('#holder', hh);
    await shop.$eval('#q-SOAP', (e) => ((e as HTMLInputElement).value = '2'));
    await shop.type('#pin', '123456');
    await shop.click('#redeem-form button[type=submit]');
    await shop.waitForSelector('#done.ok');
    const done = await text(shop, '#done');
    expect(done).toContain('兑换成功');
    expect(done).toContain('10.00');
    expect(done).not.toMatch(/余额|balance/);
    expect(await noSideways(shop)).toBe(true);
    await shop.click('#tabs button[data-view=today]');
    await shop.waitForFunction(() => (document.querySelector('#view h2')?.textContent ?? '').includes('1 笔'));
    expect(await text(shop, '#view')).toContain('洗衣皂×2');
  });

  it('a clerk checks a CSV line by line before anything is written, then imports it', async () => {
    const clerk = await signIn(c.keys.clerk);
    await clerk.click('#tabs button[data-view=import]');
    await clerk.waitForSelector('#csv');
    const write = async (name: string, body: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, body);
      const input = (await clerk.$('#csv'))!;
      await (input as any).uploadFile(file);
    };
    await write('bad.csv', `holderType,holderId,ruleCode,quantity,occurredOn,note\nhousehold,${hh},R01,1,2026-11-02,ok\nhousehold,${hh},R99,1,2026-11-02,bad\n`);
    await clerk.click('#check-import');
    await clerk.waitForFunction(() => (document.querySelector('#import-report')?.textContent ?? '').includes('有问题'));
    expect(await text(clerk, '#import-report')).toContain('第 3 行');
    expect(await clerk.$('#commit-import')).toBeNull(); // nothing to confirm while a line is bad
    const before = (await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.length;
    await write('good.csv', `holderType,holderId,ruleCode,quantity,occurredOn,note\nhousehold,${hh},R01,1,2026-10-02,ok\n`);
    await clerk.click('#check-import');
    await clerk.waitForSelector('#commit-import');
    expect((await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.length).toBe(before); // the check wrote nothing
    await clerk.click('#commit-import');
    await clerk.waitForSelector('#flash .ok');
    expect(await text(clerk, '#flash')).toContain('导入完成');
    expect((await t.http().get(`/v1/records?holderId=${hh}`).set(bearer(c.keys.clerk))).body.items.length).toBe(before + 1);
  });

  it('the admin publishes a board and sees charts; the station dispatches a service order', async () => {
    const admin = await signIn(c.keys.admin);
    await admin.click('#tabs button[data-view=boards]');
    await admin.waitForSelector('#board-village');
    await admin.type('#board-village', c.villages[0]);
    await admin.click('#board-make');
    await admin.waitForSelector('#board-publish');
    expect(await text(admin, '#board-out')).toContain('王小明');
    await admin.click('#board-publish');
    await admin.waitForSelector('#flash .ok');
    const period = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    expect((await t.http().get(`/public/boards/${c.villages[0]}/${period}`)).status).toBe(200);
    await admin.click('#tabs button[data-view=stats]');
    await admin.waitForSelector('#view svg rect');
    expect(await admin.$$eval('#view svg', (x) => x.length)).toBeGreaterThanOrEqual(1);
    expect(await noSideways(admin)).toBe(true);

    const station = bearer(c.keys.admin);
    await t.http().post('/v1/service-menu').set(station).send({ code: 'S01', title: '上门打扫卫生', category: '助老', regionCode: c.county });
    const person = (await t.http().post('/v1/people').set(bearer(c.keys.clerk)).send({ name: '志愿者', regionCode: c.villages[0] })).body.id;
    await t.http().post('/v1/teams').set(station).send({ name: '泉秀村志愿服务队', regionCode: c.villages[0], memberIds: [person] });
    const order = await t.http().post('/v1/service-orders').set(bearer(c.keys.clerk)).send({ menuCode: 'S01', requester: { type: 'household', id: hh }, regionCode: c.villages[0] });
    const reviewer = await signIn(c.keys.reviewer);
    await reviewer.click('#tabs button[data-view=orders]');
    await reviewer.waitForFunction(() => (document.querySelector('#view')?.textContent ?? '').includes('上门打扫卫生'));
    const buttons = await reviewer.$$('#view section:first-of-type .item button');
    await buttons[0].click();
    await reviewer.waitForSelector('#flash .ok');
    expect((await t.http().get(`/v1/service-orders/${order.body.id}`).set(station)).body.status).toBe('dispatched');
  });
});
