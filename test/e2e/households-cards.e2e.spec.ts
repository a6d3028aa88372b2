import { DataSource } from 'typeorm';
import jsQR from 'jsqr';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, newIdempotencyKey } from '../helpers/fixtures';

/** 户号 and door cards (issue 19): numbers given at creation, never reused; a QR code of a random, rotatable token. */
describe('household numbers and door cards (e2e)', () => {
  let t: TestApp;
  let c: County;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
  });
  afterAll(async () => t.close());

  const enrol = async (village: string, headName: string, key = c.keys.clerk) => {
    const res = await t.http().post('/v1/households').set(bearer(key)).send({ villageCode: village, headName, pin: '1234' });
    expect(res.status).toBe(201);
    return res.body as { id: string; no: string };
  };

  it('numbers households per village in order, four digits or more, and never gives a number twice, even after a refused enrolment', async () => {
    const a = await enrol(c.villages[0], '张一');
    const b = await enrol(c.villages[0], '张二');
    const other = await enrol(c.villages[1], '张三', c.keys.admin);
    expect(a.no).toBe(`${c.villages[0]}-0001`);
    expect(b.no).toBe(`${c.villages[0]}-0002`);
    expect(other.no).toBe(`${c.villages[1]}-0001`);
    // A refused enrolment (a duplicate head ID number) rolls back, and its number is not given again.
    const idNumber = '110101199003070011';
    expect((await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '李一', headIdNumber: idNumber })).status).toBe(201);
    expect((await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '李二', headIdNumber: idNumber })).status).toBe(409);
    const d = await enrol(c.villages[0], '张四');
    expect(d.no).toBe(`${c.villages[0]}-0004`);
    expect((await t.http().get(`/v1/households/${a.id}`).set(bearer(c.keys.clerk))).body.no).toBe(a.no);
  });

  it('finds households by number, by its sequence, or by the head\'s name, inside the caller\'s scope only', async () => {
    const h = await enrol(c.villages[0], '欧阳找找');
    const byNo = await t.http().get(`/v1/households?no=${h.no}`).set(bearer(c.keys.clerk));
    expect(byNo.body.items).toEqual([expect.objectContaining({ id: h.id, no: h.no })]);
    const seq = String(Number(h.no.split('-')[1]));
    expect((await t.http().get(`/v1/households?q=${seq}`).set(bearer(c.keys.clerk))).body.items.map((i: { id: string }) => i.id)).toContain(h.id);
    expect((await t.http().get(`/v1/households?q=${encodeURIComponent('找找')}`).set(bearer(c.keys.clerk))).body.items.map((i: { no: string }) => i.no)).toEqual([h.no]);
    // Another village's clerk finds nothing.
    expect((await t.http().get(`/v1/households?no=${h.no}`).set(bearer(c.otherVillageKeys.clerk))).body.items).toEqual([]);
    expect((await t.http().get('/v1/households').set(bearer(c.keys.clerk))).status).toBe(400);
    expect((await t.http().get('/v1/households?no=12').set(bearer(c.keys.clerk))).status).toBe(400);
  });

  it('takes { type: "household", no } wherever { type, id } is taken; another village\'s number is 404 as an id would be', async () => {
    const h = await enrol(c.villages[0], '王引用');
    const transfer = (to: unknown, key = c.keys.admin) =>
      t.http().post('/v1/transfers').set(bearer(key)).set('Idempotency-Key', newIdempotencyKey()).send({ asset: 'CONDUCT', from: 'issuer', to, amount: '5', memo: '户号' });
    expect((await transfer({ type: 'household', no: h.no })).status).toBe(201);
    const bal = await t.http().get(`/v1/holders/household/${h.id}/balances`).set(bearer(c.keys.admin));
    expect(bal.body.balances.find((b: { asset: string }) => b.asset === 'CONDUCT').balance).toBe('5.00');
    expect((await transfer({ type: 'household', no: `${c.villages[0]}-9999` })).status).toBe(404);
    expect((await transfer({ type: 'household', no: h.no, id: h.id })).status).toBe(400);
    expect((await transfer({ type: 'person', no: h.no })).status).toBe(400);
    expect((await transfer({ type: 'household', no: 'x' })).status).toBe(400);
    // A record by number, entered by the village's clerk; the other village's clerk gets 404.
    const rs = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin))
      .send({ regionCode: c.county, asset: 'CONDUCT', name: '红黄榜', effectiveFrom: '2026-01-01', items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '1' }] });
    await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(c.keys.admin));
    const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', no: h.no }, ruleCode: 'R01', occurredOn: '2026-11-02' });
    expect(rec.status).toBe(201);
    expect(rec.body.holder).toMatchObject({ type: 'household', id: h.id });
    expect((await t.http().post('/v1/records').set(bearer(c.otherVillageKeys.clerk)).send({ holder: { type: 'household', no: h.no }, ruleCode: 'R01', occurredOn: '2026-11-02' })).status).toBe(404);
  });

  it('prints a card whose QR code opens the household\'s page; a rotated card\'s code is 404; the token says nothing of the id', async () => {
    const h = await enrol(c.villages[0], '赵门卡');
    const card = await t.http().get(`/v1/households/${h.id}/card`).set(bearer(c.keys.clerk));
    expect(card.status).toBe(200);
    expect(card.headers['content-type']).toMatch(/text\/html/);
    expect(card.text).toContain(`户号 ${h.no}`);
    expect(card.text).toContain('泉秀村');
    expect(card.text).toContain('户主 赵*卡');
    expect(card.text).not.toContain('赵门卡');
    expect(card.text).toContain('<svg');
    const url = await decodeQr(card.text);
    const m = /^http:\/\/[^/]+\/h\/([A-Za-z0-9_-]{32})$/.exec(url);
    expect(m).not.toBeNull();
    const token = m![1];
    expect(token).not.toContain(h.id.replace(/-/g, '').slice(0, 8));
    const page = await t.http().get(`/h/${token}`).set('Accept', 'application/json');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ householdNo: h.no, villageCode: c.villages[0], villageName: '泉秀村', headName: '赵*卡' });
    expect(page.headers['cache-control']).toBe('public, max-age=60');
    const html = await t.http().get(`/h/${token}`);
    expect(html.text).toContain(`户号 ${h.no}`);
    // The same card prints again with the same code.
    expect(await decodeQr((await t.http().get(`/v1/households/${h.id}/card`).set(bearer(c.keys.clerk))).text)).toBe(url);

    const rotated = await t.http().post(`/v1/households/${h.id}/card/rotate`).set(bearer(c.keys.clerk));
    expect(rotated.status).toBe(200);
    expect(rotated.body.url).not.toBe(url);
    expect((await t.http().get(`/h/${token}`)).status).toBe(404);
    expect((await t.http().get(new URL(rotated.body.url).pathname).set('Accept', 'application/json')).body.householdNo).toBe(h.no);
    expect((await t.http().get('/h/not-a-token')).status).toBe(404);

    // Another village's clerk can neither print nor rotate it.
    expect((await t.http().get(`/v1/households/${h.id}/card`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);
    expect((await t.http().post(`/v1/households/${h.id}/card/rotate`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);
  });

  it('prints a village\'s sheet of cards in number order; households numbered before cards existed get a token on first print', async () => {
    const h = await enrol(c.villages[1], '孙老户', c.keys.admin);
    await t.app.get(DataSource).query(`UPDATE households SET card_token_hash = NULL, card_token_cipher = NULL WHERE tenant_id = $1 AND id = $2`, [c.tenantId, h.id]);
    const sheet = await t.http().get(`/v1/villages/${c.villages[1]}/cards`).set(bearer(c.keys.admin));
    expect(sheet.status).toBe(200);
    const nos = [...sheet.text.matchAll(/data-no="([^"]+)"/g)].map((x) => x[1]);
    expect(nos).toEqual([...nos].sort());
    expect(nos).toContain(h.no);
    expect((await t.http().get(`/v1/villages/${c.villages[1]}/cards`).set(bearer(c.keys.clerk))).status).toBe(404);
    expect((await t.http().get('/v1/villages/123/cards').set(bearer(c.keys.admin))).status).toBe(400);
  });
});

/** Decodes the first card's QR code: the SVG rendered to pixels by a tiny rasteriser of its <path> rectangles. */
async function decodeQr(html: string): Promise<string> {
  const svg = /<svg[\s\S]*?<\/svg>/.exec(html)![0];
  const size = Number(/viewBox="0 0 (\d+) (\d+)"/.exec(svg)![1]);
  const d = [...svg.matchAll(/<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/g)].map((x) => x[1]).join('');
  const scale = 8;
  const w = size * scale;
  const pixels = new Uint8ClampedArray(w * w * 4).fill(255);
  // qrcode's SVG draws dark modules as horizontal strokes: "M<x> <y+0.5>h<len>" (absolute or relative moves).
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of d.matchAll(/([MmHhVv])(-?[\d.]+)(?:\s(-?[\d.]+))?/g)) {
    if (cmd === 'M') { x = Number(a); y = Number(b); }
    else if (cmd === 'm') { x += Number(a); y += Number(b); }
    else if (cmd === 'h' || cmd === 'H') {
      const len = cmd === 'h' ? Number(a) : Number(a) - x;
      for (let px = Math.round(x * scale); px < Math.round((x + len) * scale); px++) {
        for (let py = Math.floor(y - 0.5) * scale; py < Math.floor(y + 0.5) * scale; py++) {
          const i = (py * w + px) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
      }
      x += len;
    }
  }
  const code = jsQR(pixels, w, w);
  if (!code) throw new Error('no QR code found in the card');
  return code.data;
}
