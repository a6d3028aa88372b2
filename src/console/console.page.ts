/**
 * The console page: plain HTML, CSS and script, no build step. Everything it
 * shows comes from the HTTP API with the signed-in user's (or admin key's) role
 * and scope; data is put into the page with textContent only (never as HTML).
 * People sign in with phone and password; households are shown and typed by
 * 户号, or scanned from their door card (BarcodeDetector where the browser has
 * it, jsQR served from /console/jsqr.js otherwise).
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>积分管理控制台</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#222;background:#f6f6f4;font-size:16px}
header{background:#b22222;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between}
header h1{font-size:1.1rem;margin:0}
main{max-width:46rem;margin:0 auto;padding:1rem}
nav{display:flex;flex-wrap:wrap;gap:.4rem;margin-bottom:1rem}
nav button{flex:1 1 auto}
section{background:#fff;border-radius:.5rem;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px #0002}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input,select,textarea,button{font:inherit;width:100%;padding:.55rem;border:1px solid #999;border-radius:.35rem;max-width:100%}
button{background:#b22222;color:#fff;border:none;cursor:pointer;margin-top:.6rem;width:auto;min-width:6rem}
button.secondary{background:#555}
button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f0a500;outline-offset:1px}
.msg{padding:.6rem;border-radius:.35rem;margin:.6rem 0}
.ok{background:#e6f4ea;color:#14532d}
.err{background:#fde8e8;color:#7f1d1d}
.item{border-bottom:1px solid #ddd;padding:.5rem 0;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;justify-content:space-between}
.hint{color:#666;font-size:.9rem}
.item span{overflow-wrap:anywhere}
.done{font-size:1.6rem;text-align:center;padding:1.5rem}
.hidden{display:none}
.hidden-visually{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.item input,.item select{width:auto;flex:1 1 8rem}
.code{font-size:4.5rem;font-weight:700;letter-spacing:.4rem;text-align:center;margin:.5rem 0;font-variant-numeric:tabular-nums}
input.code-input{font-size:2.2rem;letter-spacing:.4rem;text-align:center}
.big-buttons{display:flex;gap:.6rem}
.big-buttons button{flex:1;font-size:1.3rem;padding:.9rem}
video.scanner{width:100%;max-height:60vh;background:#000;border-radius:.35rem}
.row{display:flex;gap:.4rem;align-items:flex-end}
.row input{flex:1}
.thumbs{display:flex;gap:.4rem;flex-wrap:wrap;width:100%}
.thumbs img{width:6rem;height:6rem;object-fit:cover;border-radius:.35rem;border:1px solid #999;cursor:zoom-in}
.claim{background:#fff7e6;border-left:4px solid #f0a500;padding-left:.5rem}
.bar{height:1.1rem;background:#eee;border-radius:.3rem;width:100%;overflow:hidden}
.bar span{display:block;height:100%;background:#b22222}
.low .bar span{background:#c2410c}
details{margin-top:1rem}
small{color:#555}
</style>
</head>
<body>
<header><h1>积分管理控制台</h1><div id="who" aria-live="polite"></div></header>
<main>
  <div id="flash" role="status" aria-live="polite"></div>
  <section id="signin" class="hidden">
    <h2>登录</h2>
    <form id="signin-form">
      <label for="phone">手机号</label>
      <input id="phone" name="phone" type="tel" inputmode="numeric" autocomplete="username" required maxlength="11" placeholder="11 位手机号">
      <label for="password">密码</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit" id="signin-submit">登录</button>
    </form>
    <p><small>账号由县文明实践中心开通；第一次登录须修改初始密码。忘记密码请找县中心管理员重置。</small></p>
    <details id="key-signin"><summary>管理员用密钥登录</summary>
      <form id="key-form">
        <label for="apikey">API 密钥</label>
        <input id="apikey" name="apikey" autocomplete="off" required placeholder="jf_…">
        <button type="submit" class="secondary">用密钥登录</button>
      </form>
    </details>
  </section>
  <section id="change-password" class="hidden">
    <h2>请先修改初始密码</h2>
    <form id="password-form">
      <label for="current-password">初始密码</label>
      <input id="current-password" type="password" autocomplete="current-password" required>
      <label for="new-password">新密码（至少 8 位，不能含手机号）</label>
      <input id="new-password" type="password" autocomplete="new-password" required>
      <label for="new-password-2">再输一遍新密码</label>
      <input id="new-password-2" type="password" autocomplete="new-password" required>
      <button type="submit" id="password-submit">保存新密码</button>
    </form>
  </section>
  <div id="app" class="hidden">
    <nav id="tabs" aria-label="功能"></nav>
    <div id="view"></div>
  </div>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  };
  const ROLE = { admin: '县中心管理员', clerk: '村文书', reviewer: '实践站站长（审核）', organizer: '志愿服务队', shopkeeper: '店主', auditor: '审计', bank: '银行' };
  const STATUS = { submitted: '待审核', approved: '已审核，待入账', in_notice: '公示中', posted: '已入账', rejected: '已驳回', objected: '有异议', voided: '已作废', completed: '已完成', held: '预留中', refunded: '已退货' };
  const CODES = {
    'role-not-allowed': '您的角色无权执行此操作。', 'not-found': '找不到该对象，或它不在您的管辖范围内。', 'maker-checker': '录入人不能审核自己录入的记录。',
    'cap-reached': '该项本期已达上限。', 'evidence-required': '该项需要上传证明材料。', 'insufficient-points': '积分不足。', 'pin-incorrect': 'PIN 不正确。',
    'out-of-stock': '库存不足。', 'sanctioned': '该户因惩戒暂停兑换。', csrf: '页面已过期，请刷新后重试。',
    'wrong-code': '签到码不对，请看活动现场公布的 6 位签到码。', 'outside-activity-window': '现在不在活动时间内（开始前 30 分钟到结束后 30 分钟可以签到、签退）。',
    'not-checked-in': '没有签到、签退记录，或登记的时长超过了签到到签退之间的时长。', 'already-checked-in': '已经签到过了。', 'already-checked-out': '已经签退过了。',
    'password-change-required': '请先修改初始密码。', 'phone-taken': '这个手机号已经有账号了。', 'use-phone-sign-in': '请用手机号和密码登录。',
  };
  const NO_RE = /^[0-9]{12}-[0-9]{4,8}$/;
  /** A household reference from what the clerk typed or scanned: a whole 户号. */
  const householdRef = (no) => ({ type: 'household', no: no.trim() });
  /** Finds households by 户号, by its sequence ("23"), or by the head's name; answers the list. */
  const findHouseholds = (q) => api('GET', '/v1/households?' + (NO_RE.test(q) ? 'no=' : 'q=') + encodeURIComponent(q));
  /** The regions under the signed-in scope, to pick by name (villages for a village picker). */
  let regionsCache = null;
  const regions = async () => (regionsCache ??= (await api('GET', '/v1/regions?limit=500')).items);
  const regionPicker = async (id, label, levels) => {
    const items = (await regions()).filter((r) => levels.includes(r.level));
    return field(id, label, el('select', { id }, ...items.map((r) => el('option', { value: r.code, text: ({ county: '', township: '　', village: '　　' })[r.level] + r.name }))));
  };
  /** The 户号 a door card's QR code names: the card's page answers it. Null when the code is not one of our cards. */
  const noOfCard = async (text) => {
    const m = /\\/h\\/([A-Za-z0-9_-]{32})$/.exec(text.trim());
    if (!m) return NO_RE.test(text.trim()) ? text.trim() : null;
    const res = await fetch('/h/' + m[1], { headers: { Accept: 'application/json' }, cache: 'no-store' }); // a rotated card must fail at once, not after the page's minute of caching
    return res.ok ? (await res.json()).householdNo : null;
  };
  let jsQRLoaded = null;
  const loadJsQR = () => (jsQRLoaded ??= new Promise((resolve, reject) => { const sc = document.createElement('script'); sc.src = '/console/jsqr.js'; sc.onload = () => resolve(window.jsQR); sc.onerror = reject; document.head.append(sc); }));
  /** Reads a QR code from an image or a video frame: BarcodeDetector where the browser has it, jsQR otherwise. */
  async function decodeQr(source, w, h) {
    if ('BarcodeDetector' in window) {
      try {
        const found = await new window.BarcodeDetector({ formats: ['qr_code'] }).detect(source);
        if (found.length) return found[0].rawValue;
      } catch { /* fall through to jsQR */ }
    }
    const jsQR = await loadJsQR();
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, w, h);
    const code = jsQR(ctx.getImageData(0, 0, w, h).data, w, h);
    return code ? code.data : null;
  }
  /**
   * A 户号 field with a scan button (the phone's camera) and a photo button
   * (a picture of the door card): either fills in the card's 户号.
   */
  function householdInput(id, label, onFound) {
    const input = el('input', { id, required: '', autocomplete: 'off', placeholder: '如 500154101001-0023，或扫码' });
    const video = el('video', { class: 'scanner hidden', playsinline: '', muted: '', id: id + '-video' });
    const photo = el('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'hidden-visually', id: id + '-photo', 'aria-label': '拍户卡照片' });
    const got = async (text) => {
      const no = text && (await noOfCard(text));
      if (!no) return flash('没有认出户卡上的二维码，请再试一次或手工输入户号。', false);
      input.value = no;
      flash('已扫码：户号 ' + no, true);
      if (onFound) onFound(no);
    };
    photo.addEventListener('change', async () => {
      const f = photo.files[0];
      if (!f) return;
      try { const bmp = await createImageBitmap(f); await got(await decodeQr(bmp, bmp.width, bmp.height)); } catch (e) { flash('读不了这张照片：' + e.message, false); }
      photo.value = '';
    });
    let stream = null;
    const stop = () => { if (stream) stream.getTracks().forEach((t) => t.stop()); stream = null; video.classList.add('hidden'); };
    const scan = async () => {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return photo.click();
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      } catch { return photo.click(); }
      video.srcObject = stream;
      video.classList.remove('hidden');
      await video.play();
      const started = Date.now();
      const tick = async () => {
        if (!stream) return;
        if (video.videoWidth) {
          const text = await decodeQr(video, video.videoWidth, video.videoHeight).catch(() => null);
          if (text && (await noOfCard(text))) { stop(); return got(text); }
        }
        if (Date.now() - started > 30000) { stop(); return flash('30 秒内没有扫到户卡，请对准二维码再试，或手工输入户号。', false); }
        setTimeout(tick, 250);
      };
      tick();
    };
    return [el('label', { for: id, text: label }),
      el('div', { class: 'row' }, input, el('button', { type: 'button', class: 'secondary', id: id + '-scan', text: '扫码', onclick: scan }), el('button', { type: 'button', class: 'secondary', text: '拍照', onclick: () => photo.click() })),
      photo, video];
  }
  let me = null;
  const csrf = () => (document.cookie.split('; ').find((c) => c.startsWith('jifen_csrf=')) || '').slice('jifen_csrf='.length);
  async function api(method, path, body, extra = {}) {
    const headers = { 'X-CSRF-Token': decodeURIComponent(csrf()), ...extra };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!res.ok) {
      const fields = data && data.errors ? data.errors.flatMap((e) => e.messages).join('；') : '';
      const words = (data && CODES[data.code]) || (data && data.detail) || ('请求失败（' + res.status + '）');
      const err = new Error(fields ? words + ' ' + fields : words);
      err.status = res.status;
      throw err;
    }
    return data;
  }
  const flash = (text, ok) => { const f = $('flash'); f.textContent = ''; f.append(el('div', { class: 'msg ' + (ok ? 'ok' : 'err'), text })); };
  const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  /** Beijing time of an instant: 'YYYY-MM-DD HH:MM'. */
  const beijing = (iso) => new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  const local = (iso) => beijing(iso).slice(11);
  const field = (id, label, input) => [el('label', { for: id, text: label }), input];
  /** A bar chart in SVG, with the same figures as a table for screen readers. groups: [label, [values…]]. */
  const chart = (title, groups, series) => {
    const NS = 'http://www.w3.org/2000/svg';
    const colors = ['#b22222', '#2f6f3e', '#555'];
    const max = Math.max(1, ...groups.flatMap(([, vs]) => vs));
    const w = 320, h = 160, gw = w / Math.max(1, groups.length), bw = Math.max(4, (gw - 8) / series.length);
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + (h + 20));
    svg.setAttribute('width', '100%');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', title);
    groups.forEach(([label, vs], gi) => {
      vs.forEach((val, si) => {
        const r = document.createElementNS(NS, 'rect');
        const bh = (val / max) * (h - 10);
        r.setAttribute('x', String(gi * gw + 4 + si * bw)); r.setAttribute('y', String(h - bh)); r.setAttribute('width', String(bw - 1)); r.setAttribute('height', String(bh));
        r.setAttribute('fill', colors[si % colors.length]);
        svg.append(r);
      });
      const t = document.createElementNS(NS, 'text');
      t.setAttribute('x', String(gi * gw + gw / 2)); t.setAttribute('y', String(h + 15)); t.setAttribute('text-anchor', 'middle'); t.setAttribute('font-size', '11');
      t.textContent = label;
      svg.append(t);
    });
    const table = el('table', { class: 'hidden-visually' }, el('caption', { text: title }),
      el('tr', {}, el('th', { text: '' }), ...series.map((x) => el('th', { text: x }))),
      ...groups.map(([label, vs]) => el('tr', {}, el('th', { text: label }), ...vs.map((x) => el('td', { text: String(x) })))));
    const legend = el('p', {}, ...series.map((x, i) => el('span', { style: 'color:' + colors[i % colors.length] + ';margin-right:1rem', text: '■ ' + x })));
    return el('div', { class: 'chart' }, svg, legend, table);
  };
  const list = (items, render, empty) => items.length ? el('div', {}, ...items.map(render)) : el('p', { text: empty });

  async function show(view) {
    const v = $('view');
    v.textContent = '';
    $('flash').textContent = '';
    try { await VIEWS[view].render(v); } catch (e) { flash(e.message, false); }
    document.querySelectorAll('#tabs button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === view)));
  }

  /** An activity's own page: the sign-in code big enough to read across a room, who checked in and out, and their hours entered in one tap. */
  async function activityPage(v, a) {
    v.textContent = '';
    const r = await api('GET', '/v1/activities/' + a.id + '/check-ins');
    const enter = async (c) => {
      const hours = a.maxHoursPerPerson && Number(a.maxHoursPerPerson) < Number(c.hours) ? a.maxHoursPerPerson : c.hours;
      try { await api('POST', '/v1/activities/' + a.id + '/attendance', { entries: [{ personId: c.personId, hours, kind: 'signed' }] }); flash('已登记 ' + c.name + ' ' + hours + ' 小时，等待另一人核验', true); }
      catch (e) { flash(e.message, false); }
    };
    v.append(el('section', { id: 'activity-page' }, el('h2', { text: a.title }),
      el('p', { class: 'hint', text: beijing(a.startsAt) + '–' + local(a.endsAt) + '，开始前 30 分钟到结束后 30 分钟可签到、签退' }),
      el('p', { text: '签到码' }), el('p', { class: 'code', id: 'sign-in-code', 'aria-label': '签到码 ' + a.signInCode, text: a.signInCode }),
      el('h2', { text: '签到情况（' + r.items.length + ' 人）' }),
      list(r.items, (c) => el('div', { class: 'item' }, el('span', { text: c.name + '　' + local(c.checkedInAt) + ' 签到' + (c.checkedOutAt ? '，' + local(c.checkedOutAt) + ' 签退，' + c.hours + ' 小时' : '，未签退') }),
        c.checkedOutAt && me.role === 'organizer' ? el('button', { text: '登记时长', onclick: () => enter(c) }) : null), '还没有人签到'),
      el('button', { class: 'secondary', text: '返回活动库', onclick: () => show('activities') })));
  }

  const VIEWS = {
    enter: { label: '录入记录', roles: ['clerk', 'admin'], async render(v) {
      const search = el('div', {},
        ...field('who-search', '按户主姓名或户号查找', el('input', { id: 'who-search', autocomplete: 'off', placeholder: '姓名，或户号的后几位' })),
        el('button', { type: 'button', class: 'secondary', id: 'search', text: '搜索', onclick: async () => {
          try {
            const found = await findHouseholds($('who-search').value.trim());
            const out = $('search-results');
            out.textContent = '';
            out.append(list(found.items, (h) => el('div', { class: 'item' }, el('span', { text: '户号 ' + h.no + '　' + h.headName }),
              el('button', { type: 'button', class: 'secondary', text: '选择', onclick: () => { $('hh').value = h.no; findHousehold(); } })), '没有找到'));
          } catch (e) { flash(e.message, false); }
        } }),
        el('div', { id: 'search-results' }));
      const form = el('form', { id: 'enter-form' },
        ...householdInput('hh', '户号', () => findHousehold()),
        el('button', { type: 'button', class: 'secondary', id: 'find', text: '查找农户', onclick: findHousehold }),
        el('div', { id: 'hh-info' }),
        ...field('rule', '积分事项', el('select', { id: 'rule', required: '' })),
        el('p', { id: 'rule-info' }),
        ...field('date', '发生日期', el('input', { id: 'date', type: 'date', value: today(), required: '' })),
        ...field('qty', '数量（小时或次数）', el('input', { id: 'qty', inputmode: 'decimal', value: '1' })),
        ...field('evidence', '证明材料（照片或文件链接，可选）', el('input', { id: 'evidence' })),
        ...field('note', '备注', el('input', { id: 'note' })),
        el('button', { type: 'submit', text: '提交审核' }));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const evidence = $('evidence').value.trim();
        try {
          const r = await api('POST', '/v1/records', { holder: householdRef($('hh').value), ruleCode: $('rule').value, occurredOn: $('date').value,
            quantity: $('qty').value.trim() || '1', ...(evidence ? { evidence: [evidence] } : {}), ...($('note').value ? { note: $('note').value } : {}) });
          flash('已提交：' + r.ruleName + '，' + r.points + ' 分' + (r.capped ? '（已按上限计）' : '') + '，状态：' + STATUS[r.status], true);
          const rec = await api('GET', '/v1/records/' + r.id);
          $('entered').textContent = '';
          $('entered').append(el('h3', { text: '刚录入的记录' }), list(rec.history, (h) => el('div', { class: 'item' },
            el('span', { text: beijing(h.at) + '　' + (STATUS[h.to] || h.to) }), el('span', { class: 'actor', text: h.actor.name })), ''));
        } catch (e) { flash(e.message, false); }
      });
      v.append(el('section', {}, el('h2', { text: '录入红黄榜记录' }), search, form, el('div', { id: 'entered' })));
      let items = [];
      async function findHousehold() {
        try {
          const no = $('hh').value.trim();
          const hit = (await findHouseholds(no)).items;
          if (hit.length !== 1) { $('hh-info').textContent = ''; return flash(hit.length ? '有 ' + hit.length + ' 户匹配，请写完整户号或从搜索结果中选择。' : '没有找到户号 ' + no + '（或不在您管辖的村里）。', false); }
          const h = await api('GET', '/v1/households/' + hit[0].id);
          $('hh').value = h.no;
          const village = (await regions()).find((r) => r.code === h.villageCode);
          $('hh-info').textContent = '户主：' + h.headName + '　' + (village ? village.name : h.villageCode) + '　户号 ' + h.no;
          const set = await api('GET', '/v1/rulesets/applicable?villageCode=' + h.villageCode + '&asset=CONDUCT&date=' + $('date').value);
          items = set.effectiveItems || [];
          const sel = $('rule');
          sel.textContent = '';
          for (const i of items) sel.append(el('option', { value: i.code, text: i.code + ' ' + i.name + '（' + (i.direction === 'credit' ? '+' : '−') + i.points + '）' }));
          sel.onchange = describe;
          describe();
        } catch (e) { flash(e.message, false); }
      }
      function describe() {
        const i = items.find((x) => x.code === $('rule').value);
        if (!i) return;
        const caps = (i.caps || []).map((c) => ({ day: '每日', month: '每月', year: '每年' })[c.period] + (c.maxCount ? '最多 ' + c.maxCount + ' 次' : '最多 ' + c.maxPoints + ' 分')).join('，');
        $('rule-info').textContent = (i.direction === 'credit' ? '加分 ' : '扣分 ') + i.points + (i.unit ? '/' + (i.unit === 'hour' ? '小时' : '次') : '') + '；公示 ' + (i.noticeDays ?? 7) + ' 天' + (caps ? '；上限：' + caps : '') + (i.evidenceRequired ? '；需要证明材料' : '');
      }
    } },
    records: { label: '记录查询', roles: ['clerk', 'reviewer', 'admin', 'auditor'], async render(v) {
      const page = await api('GET', '/v1/records?limit=30');
      v.append(el('section', {}, el('h2', { text: '最近的记录' }), list(page.items, (r) => el('div', { class: 'item' },
        el('span', { text: r.occurredOn + ' ' + r.ruleName + ' ' + (r.direction === 'credit' ? '+' : '−') + r.points }), el('span', { text: STATUS[r.status] || r.status })), '暂无记录')));
    } },
    review: { label: '审核', roles: ['reviewer', 'admin'], async render(v) {
      const imports = await api('GET', '/v1/records/imports?pending=true');
      const queue = await api('GET', '/v1/records?status=submitted&limit=50');
      const objected = await api('GET', '/v1/records?status=objected&limit=50');
      const notice = await api('GET', '/v1/records?status=in_notice&limit=50');
      const act = async (path, body, what) => { try { await api('POST', path, body); flash(what, true); await show('review'); flash(what, true); } catch (e) { flash(e.message, false); } };
      v.append(el('section', { id: 'pending-imports' }, el('h2', { text: '待审批的导入（' + imports.items.length + '）' }), list(imports.items, (i) => {
        const meeting = el('input', { 'aria-label': '会议名称', placeholder: '评议会名称（可不填）' });
        const when = i.createdAt.slice(0, 10);
        return el('div', { class: 'item' }, el('span', { text: when + ' 导入 ' + i.records + ' 条，待审批 ' + i.submitted + ' 条' }),
          i.enteredByMe ? el('span', { class: 'hint', text: '这批由您导入，须由另一位审核人审批' })
            : el('span', {}, meeting, el('button', { text: '整批通过', onclick: async () => {
              try {
                const r = await api('POST', '/v1/records/imports/' + i.id + '/approve', meeting.value.trim() ? { approvalRef: meeting.value.trim() } : {});
                await show('review');
                flash('已整批通过 ' + r.approved + ' 条：入账 ' + r.posted + ' 条，公示 ' + r.inNotice + ' 条' + (r.refused.length ? '，' + r.refused.length + ' 条余额不足，明日重试' : ''), true);
              } catch (e) { flash(e.message, false); }
            } })));
      }, '没有待审批的导入')),
      el('section', {}, el('h2', { text: '待审核（' + queue.items.length + '，其中村民申报 ' + queue.items.filter((r) => r.source === 'claim').length + '）' }), list(queue.items, (r) => {
        const reason = el('input', { 'aria-label': '驳回理由', placeholder: '驳回理由（驳回时必填）' });
        // A household's own claim (申报) shows who claimed it, its note and its photos, for the reviewer to judge.
        const photos = r.evidence.map((ref, n) => ref.startsWith('sha256:') ? el('a', { href: '/v1/records/' + r.id + '/evidence/' + n, target: '_blank' }, el('img', { src: '/v1/records/' + r.id + '/evidence/' + n, alt: '申报照片 ' + (n + 1), loading: 'lazy' })) : null).filter(Boolean);
        return el('div', { class: 'item' + (r.source === 'claim' ? ' claim' : ''), 'data-record': r.id },
          el('span', { text: (r.source === 'claim' ? '【村民申报】' : '') + r.occurredOn + ' ' + r.ruleName + ' ' + (r.direction === 'credit' ? '+' : '−') + r.points + (r.evidence.length && !photos.length ? '（有证明材料）' : '') + (r.note ? '　说明：' + r.note : '') }),
          photos.length ? el('div', { class: 'thumbs' }, ...photos) : null,
          el('button', { text: '通过', onclick: () => act('/v1/records/' + r.id + '/approve', {}, '已通过：' + r.ruleName) }),
          reason,
          el('button', { class: 'secondary', text: '驳回', onclick: () => reason.value.trim() ? act('/v1/records/' + r.id + '/reject', { reason: reason.value.trim() }, '已驳回') : flash('驳回需要填写理由。', false) }));
      }, '没有待审核的记录')),
      el('section', {}, el('h2', { text: '公示异议（' + objected.items.length + '）' }), list(objected.items, (r) => el('div', { class: 'item' }, el('span', { text: r.ruleName + ' ' + r.points }),
        el('button', { text: '异议不成立', onclick: () => act('/v1/records/' + r.id + '/resolve', { outcome: 'dismissed', reason: '经核实情况属实' }, '已处理：入账') }),
        el('button', { class: 'secondary', text: '异议成立', onclick: () => act('/v1/records/' + r.id + '/resolve', { outcome: 'upheld', reason: '经核实异议成立' }, '已处理：驳回') })), '没有待处理的异议')),
      el('section', {}, el('h2', { text: '公示中（' + notice.items.length + '）' }), list(notice.items, (r) => {
        const reason = el('input', { 'aria-label': '异议内容', placeholder: '异议内容' });
        const by = el('input', { 'aria-label': '提出人', placeholder: '提出人' });
        return el('div', { class: 'item' }, el('span', { text: r.ruleName + ' ' + r.points + '，公示至 ' + r.noticeEndsOn }), reason, by,
          el('button', { class: 'secondary', text: '登记异议', onclick: () => reason.value.trim() && by.value.trim() ? act('/v1/records/' + r.id + '/objections', { reason: reason.value.trim(), raisedBy: by.value.trim() }, '异议已登记') : flash('请填写异议内容和提出人。', false) }));
      }, '没有公示中的记录')));
    } },
    activities: { label: '志愿活动', roles: ['organizer', 'reviewer', 'admin'], async render(v) {
      const page = await api('GET', '/v1/activities?limit=30');
      const queue = await api('GET', '/v1/service-records?status=submitted&limit=50');
      const attend = (a) => {
        const person = el('input', { 'aria-label': '志愿者编号', placeholder: '志愿者编号' });
        const hours = el('input', { 'aria-label': '时长（小时）', placeholder: '小时', inputmode: 'decimal', style: 'width:5rem' });
        const kind = el('select', { 'aria-label': '类型' }, el('option', { value: 'signed', text: '签到' }), el('option', { value: 'backfilled', text: '补录' }));
        const reason = el('input', { 'aria-label': '补录原因', placeholder: '补录原因（补录时必填）' });
        return el('div', {}, person, hours, kind, reason, el('button', { text: '登记时长', onclick: async () => {
          if (kind.value === 'backfilled' && !reason.value.trim()) return flash('补录时长需要写明原因，例如“按纸质签到表补录”。', false);
          try { await api('POST', '/v1/activities/' + a.id + '/attendance', { entries: [{ personId: person.value.trim(), hours: hours.value.trim(), kind: kind.value, ...(kind.value === 'backfilled' ? { reason: reason.value.trim() } : {}) }] }); flash('已登记，等待另一人核验', true); }
          catch (e) { flash(e.message, false); }
        } }));
      };
      v.append(el('section', {}, el('h2', { text: '活动库' }), list(page.items, (a) => el('div', { class: 'item' },
        el('span', { text: a.startsAt.slice(0, 10) + ' ' + a.title }), el('span', { text: a.status === 'listed' ? '已入库，签到码 ' + a.signInCode : '待审批' }),
        a.status === 'listed' ? el('button', { class: 'secondary', text: '活动页', onclick: () => activityPage(v, a) }) : null,
        a.status === 'listed' && me.role === 'organizer' ? attend(a) : null,
        a.status !== 'listed' && me.role !== 'organizer' ? el('button', { text: '批准入库', onclick: async () => { try { await api('POST', '/v1/activities/' + a.id + '/approve'); await show('activities'); flash('已入库', true); } catch (e) { flash(e.message, false); } } }) : null), '暂无活动')),
      el('section', {}, el('h2', { text: '待核验时长（' + queue.items.length + '）' }), list(queue.items, (s) => el('div', { class: 'item' },
        el('span', { text: s.activityTitle + '　' + s.hours + ' 小时' + (s.reviewNote ? '　' + s.reviewNote : '') }),
        el('button', { text: '核验', onclick: async () => { try { const r = await api('POST', '/v1/service-records/' + s.id + '/verify'); await show('activities'); flash('已核验，发放益币 ' + r.credited, true); } catch (e) { flash(e.message, false); } } })), '没有待核验的时长')));
    } },
    checkin: { label: '现场签到', roles: ['organizer', 'admin'], async render(v) {
      const now = Date.now();
      const page = await api('GET', '/v1/activities?status=listed&limit=50');
      const open = page.items.filter((a) => Date.parse(a.startsAt) - 30 * 60e3 <= now && now <= Date.parse(a.endsAt) + 30 * 60e3);
      if (!open.length) return v.append(el('section', {}, el('h2', { text: '现场签到' }), el('p', { text: '现在没有正在进行的活动（活动开始前 30 分钟起可以签到）。' })));
      const activity = el('select', { id: 'ci-activity' }, ...open.map((a) => el('option', { value: a.id, text: a.title + '（' + local(a.startsAt) + '–' + local(a.endsAt) + '）' })));
      const name = el('input', { id: 'ci-name', autocomplete: 'off', placeholder: '输入姓名查找' });
      const found = el('div', { id: 'ci-people' });
      let person = null;
      const chosen = el('p', { id: 'ci-chosen', class: 'hint', text: '还没有选择志愿者' });
      const code = el('input', { id: 'ci-code', class: 'code-input', inputmode: 'numeric', autocomplete: 'off', maxlength: '6', pattern: '[0-9]{6}', placeholder: '••••••' });
      const search = async () => {
        try {
          const r = await api('GET', '/v1/people?q=' + encodeURIComponent(name.value.trim()));
          found.textContent = '';
          found.append(list(r.items, (x) => el('div', { class: 'item' }, el('span', { text: x.name }),
            el('button', { type: 'button', class: 'secondary', text: '是我', onclick: () => { person = x; chosen.textContent = '志愿者：' + x.name; found.textContent = ''; code.focus(); } })), '没有找到，请先请文书登记'));
        } catch (e) { flash(e.message, false); }
      };
      const send = async (what) => {
        if (!person) return flash('请先查找并选择志愿者。', false);
        if (!/^[0-9]{6}$/.test(code.value.trim())) return flash('请输入现场公布的 6 位签到码。', false);
        try {
          const r = await api('POST', '/v1/activities/' + activity.value + '/' + (what === 'in' ? 'check-ins' : 'check-outs'), { personId: person.id, code: code.value.trim() });
          flash(person.name + (what === 'in' ? ' 已签到，' + local(r.at) : ' 已签退，' + local(r.at) + '，本次 ' + r.hours + ' 小时'), true);
          person = null; chosen.textContent = '还没有选择志愿者'; code.value = ''; name.value = '';
        } catch (e) { flash(e.message, false); }
      };
      v.append(el('section', { id: 'checkin' }, el('h2', { text: '现场签到' }),
        el('p', { class: 'hint', text: '志愿者在组织者的手机上签到：找到自己的名字，输入活动现场公布的签到码。时间以服务器为准。' }),
        ...field('ci-activity', '活动', activity),
        ...field('ci-name', '姓名', name), el('button', { type: 'button', class: 'secondary', text: '查找', onclick: search }), found, chosen,
        ...field('ci-code', '签到码', code),
        el('div', { class: 'big-buttons' }, el('button', { type: 'button', id: 'ci-in', text: '签到', onclick: () => send('in') }), el('button', { type: 'button', id: 'ci-out', class: 'secondary', text: '签退', onclick: () => send('out') }))));
    } },
    import: { label: '批量导入', roles: ['clerk', 'admin'], async render(v) {
      const file = el('input', { id: 'csv', type: 'file', accept: '.xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
      const villagePick = await regionPicker('template-village', '村', ['village']);
      const report = el('div', { id: 'import-report', 'aria-live': 'polite' });
      const send = async (dry) => {
        const f = file.files[0];
        if (!f) return flash('请先选择文件。', false);
        report.textContent = dry ? '正在逐行检查…' : '正在导入…';
        const type = /\\.xlsx$/i.test(f.name) ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
        const res = await fetch('/v1/records/import' + (dry ? '?dryRun=true' : ''), { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': type, 'X-CSRF-Token': decodeURIComponent(csrf()) }, body: await f.arrayBuffer() });
        const data = await res.json();
        report.textContent = '';
        if (!res.ok && !data.rejected) return flash(((data && (CODES[data.code] || data.detail)) || '导入失败') + (data && data.errors ? '：' + data.errors.flatMap((e) => e.messages).join('；') : ''), false);
        report.append(el('p', { text: (dry ? '检查结果：可导入 ' : '已导入 ') + data.accepted + ' 行，有问题 ' + data.rejected.length + ' 行' + (dry ? '（尚未写入）' : '') }),
          list(data.rejected, (r) => el('div', { class: 'item' }, el('span', { text: '第 ' + r.line + ' 行：' + r.errors.join('；') })), ''));
        if (dry && !data.rejected.length && data.accepted) report.append(el('button', { id: 'commit-import', text: '确认导入', onclick: () => send(false) }));
        if (!dry && res.ok) flash('导入完成：' + data.accepted + ' 条记录，待另一位审核人整批审批', true);
      };
      const download = async () => {
        const code = $('template-village').value;
        const res = await fetch('/v1/records/import/template?villageCode=' + code, { credentials: 'same-origin' });
        if (!res.ok) return flash('下载模板失败（' + res.status + '）', false);
        const a = el('a', { href: URL.createObjectURL(await res.blob()), download: $('template-village').selectedOptions[0].textContent.trim() + '积分登记表.xlsx' });
        document.body.append(a); a.click(); a.remove();
      };
      v.append(el('section', {}, el('h2', { text: '批量导入' }),
        el('p', { text: '1. 下载本村的登记表（已列出各户户号和户主，事项可从下拉列表选择）；2. 填好后上传，先检查，全部无误后再确认导入；3. 由另一位审核人整批审批。' }),
        ...villagePick, el('button', { type: 'button', class: 'secondary', id: 'download-template', text: '下载登记表模板', onclick: () => download().catch((e) => flash(e.message, false)) }),
        el('label', { for: 'csv', text: '选择填好的文件（Excel .xlsx 或 CSV）' }), file, el('button', { id: 'check-import', text: '检查文件', onclick: () => send(true).catch((e) => flash(e.message, false)) }), report));
    } },
    orders: { label: '服务订单', roles: ['reviewer', 'admin'], async render(v) {
      const waiting = await api('GET', '/v1/service-orders?status=requested&limit=50');
      const overdue = await api('GET', '/v1/service-orders?overdue=true&limit=50');
      const teams = (await api('GET', '/v1/teams')).items;
      const places = new Map((await regions()).map((r) => [r.code, r.name]));
      const place = (code) => places.get(code) || code;
      v.append(el('section', {}, el('h2', { text: '待派单（' + waiting.items.length + '）' }), list(waiting.items, (o) => {
        const pick = el('select', { 'aria-label': '服务队' }, ...teams.filter((t) => o.regionCode.startsWith(t.regionCode)).map((t) => el('option', { value: t.id, text: t.name })));
        return el('div', { class: 'item' }, el('span', { text: o.title + '　' + place(o.regionCode) + (o.overdue ? '　⚠ 超时' + (o.escalatedTo ? '，已上报 ' + o.escalatedTo : '') : '') }), pick,
          el('button', { text: '派单', onclick: async () => { try { await api('POST', '/v1/service-orders/' + o.id + '/dispatch', { teamId: pick.value }); await show('orders'); flash('已派单', true); } catch (e) { flash(e.message, false); } } }));
      }, '没有待派单的订单')),
      el('section', {}, el('h2', { text: '超时订单（' + overdue.items.length + '）' }), list(overdue.items, (o) => el('div', { class: 'item' },
        el('span', { text: o.title + '　' + place(o.regionCode) }), el('span', { text: STATUS[o.status] || o.status })), '没有超时订单')));
    } },
    rules: { label: '积分规则', roles: ['admin'], async render(v) {
      const sets = (await api('GET', '/v1/rulesets?limit=50')).items;
      const sim = (s) => {
        const from = el('input', { type: 'date', 'aria-label': '模拟开始日期', value: today().slice(0, 8) + '01' });
        const to = el('input', { type: 'date', 'aria-label': '模拟结束日期', value: today() });
        return el('div', {}, from, to, el('button', { class: 'secondary', text: '模拟', onclick: async () => {
          try { const r = await api('POST', '/v1/rulesets/' + s.id + '/simulate', { from: from.value, to: to.value }); flash('模拟：' + r.totals.records + ' 条记录，实发 ' + r.totals.posted + '，按此规则 ' + r.totals.simulated + '，差额 ' + r.totals.difference, true); }
          catch (e) { flash(e.message, false); }
        } }));
      };
      v.append(el('section', {}, el('h2', { text: '规则集' }), list(sets, (s) => el('div', { class: 'item' },
        el('span', { text: s.name + ' v' + s.version + '　' + s.asset + '　' + s.regionCode + '　' + ({ draft: '草稿', active: '生效', retired: '已停用' })[s.status] }),
        s.status === 'draft' ? sim(s) : null,
        s.status === 'draft' ? el('button', { text: '启用', onclick: async () => { try { await api('POST', '/v1/rulesets/' + s.id + '/activate'); await show('rules'); flash('已启用', true); } catch (e) { flash(e.message, false); } } }) : null,
        el('button', { class: 'secondary', text: '复制为草稿', onclick: async () => {
          try {
            const full = await api('GET', '/v1/rulesets/' + s.id);
            const d = await api('POST', '/v1/rulesets', { regionCode: full.regionCode, asset: full.asset, name: full.name, effectiveFrom: today(), items: full.items, sanctions: full.sanctions, ...(full.extends ? { extends: full.extends } : {}), ...(full.openingPoints ? { openingPoints: full.openingPoints } : {}), ...(full.redeemFloor ? { redeemFloor: full.redeemFloor } : {}) });
            await show('rules'); flash('已复制为草稿 v' + d.version + '，可模拟后启用', true);
          } catch (e) { flash(e.message, false); }
        } })), '暂无规则集')));
    } },
    boards: { label: '红黑榜', roles: ['admin', 'reviewer'], async render(v) {
      const [villageLabel, village] = await regionPicker('board-village', '村', ['village']);
      const period = el('input', { id: 'board-period', 'aria-label': '期间', placeholder: '2026-10 或 2026-Q4', value: today().slice(0, 7) });
      const out = el('div', { id: 'board-out' });
      v.append(el('section', {}, el('h2', { text: '生成与公示红黑榜' }), villageLabel, village, el('label', { for: 'board-period', text: '期间' }), period,
        el('button', { id: 'board-make', text: '生成草稿', onclick: async () => {
          try {
            const b = await api('POST', '/v1/boards', { villageCode: village.value.trim(), period: period.value.trim() });
            out.textContent = '';
            out.append(el('p', { text: '红榜 ' + b.red.length + ' 户，黑榜 ' + b.black.length + ' 户' }),
              list(b.red, (r) => el('div', { class: 'item' }, el('span', { text: r.rank + '. ' + r.name }), el('span', { text: '+' + r.net })), ''),
              el('button', { id: 'board-publish', text: '公示', onclick: async () => { try { await api('POST', '/v1/boards/' + b.id + '/publish'); flash('已公示：/public/boards/' + b.villageCode + '/' + b.period, true); } catch (e) { flash(e.message, false); } } }));
          } catch (e) { flash(e.message, false); }
        } }), out));
    } },
    grades: { label: '信用评级', roles: ['admin'], async render(v) {
      const cards = (await api('GET', '/v1/scorecards')).items;
      const [regionLabel, region] = await regionPicker('grade-region', '地区', ['county', 'township', 'village']);
      const card = el('select', { id: 'grade-card', 'aria-label': '评分卡' }, ...cards.map((c) => el('option', { value: c.id, text: c.name + ' v' + c.version })));
      const out = el('div', { id: 'grade-out', 'aria-live': 'polite' });
      v.append(el('section', {}, el('h2', { text: '计算与公示评级' }), regionLabel, region, el('label', { for: 'grade-card', text: '评分卡' }), card,
        el('button', { id: 'grade-run', text: '计算', onclick: async () => {
          out.textContent = '计算中，请稍候…';
          try {
            const r = await api('POST', '/v1/grade-runs', { regionCode: region.value.trim(), asOf: today(), scorecardId: card.value });
            out.textContent = '';
            out.append(el('p', { text: '已计算 ' + r.households + ' 户' }), chart('等级分布', Object.entries(r.distribution).filter(([k]) => k !== 'meanScore').map(([k, n]) => [k === 'ungraded' ? '未评级' : k, [n]]), ['户数']),
              el('button', { id: 'grade-publish', text: '公示', onclick: async () => { try { await api('POST', '/v1/grade-runs/' + r.id + '/publish'); flash('评级已公示', true); } catch (e) { flash(e.message, false); } } }));
          } catch (e) { out.textContent = ''; flash(e.message, false); }
        } }), out));
    } },
    stats: { label: '统计', roles: ['admin', 'auditor'], async render(v) {
      const pts = await api('GET', '/v1/reports/points?months=6');
      const runs = (await api('GET', '/v1/grade-runs')).items.filter((r) => r.status === 'published');
      v.append(el('section', {}, el('h2', { text: '文明积分：每月发放、兑换与结余' }),
        chart('积分', pts.months.map((m) => [m.month.slice(5) + '月', [m.issued, m.redeemed, m.outstanding].map(Number)]), ['发放', '兑换', '结余'])));
      if (runs.length) v.append(el('section', {}, el('h2', { text: '最近公示的评级分布（' + runs[0].asOf + '）' }),
        chart('评级', Object.entries(runs[0].distribution).filter(([k]) => k !== 'meanScore').map(([k, n]) => [k === 'ungraded' ? '未评级' : k, [n]]), ['户数'])));
    } },
    redeem: { label: '积分兑换', roles: ['shopkeeper'], async render(v) {
      const items = (await api('GET', '/v1/shops/' + me.shopId + '/items')).items;
      const form = el('form', { id: 'redeem-form' },
        ...householdInput('holder', '户号（扫户卡或输入）'),
        el('fieldset', {}, el('legend', { text: '选择商品' }), ...items.map((i) => el('div', { class: 'item' },
          el('label', { for: 'q-' + i.sku, text: i.name + '　' + i.price + ' 分（库存 ' + i.stock + '）' }),
          el('input', { id: 'q-' + i.sku, type: 'number', min: '0', max: String(i.stock), value: '0', inputmode: 'numeric', 'data-sku': i.sku, style: 'width:6rem' })))),
        ...field('pin', '请农户输入 PIN', el('input', { id: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', required: '' })),
        el('button', { type: 'submit', text: '确认兑换' }));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const lines = [...form.querySelectorAll('input[data-sku]')].map((i) => ({ sku: i.dataset.sku, quantity: Number(i.value) })).filter((l) => l.quantity > 0);
        if (!lines.length) return flash('请至少选择一件商品。', false);
        const pin = $('pin').value;
        $('pin').value = '';
        try {
          const r = await api('POST', '/v1/redemptions', { shopId: me.shopId, holder: householdRef($('holder').value), pin, lines }, { 'Idempotency-Key': crypto.randomUUID() });
          v.textContent = '';
          v.append(el('section', {}, el('div', { class: 'done ok', id: 'done', text: '✔ 兑换成功：积分足够，已扣 ' + r.amount + ' 分' }), el('button', { text: '下一位', onclick: () => show('redeem') })));
        } catch (e) {
          v.textContent = '';
          v.append(el('section', {}, el('div', { class: 'done err', id: 'done', text: '✘ 未能兑换：' + e.message }), el('button', { text: '返回', onclick: () => show('redeem') })));
        }
      });
      v.append(el('section', {}, el('h2', { text: '积分兑换' }), form));
    } },
    today: { label: '今日兑换', roles: ['shopkeeper'], async render(v) {
      const page = await api('GET', '/v1/redemptions?on=' + today());
      const last = (await api('GET', '/v1/settlements')).items[0];
      v.append(el('section', {}, el('h2', { text: '今日兑换（' + page.items.length + ' 笔）' }), list(page.items, (r) => el('div', { class: 'item' },
        el('span', { text: new Date(r.createdAt).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' }) + ' ' + r.lines.map((l) => l.name + '×' + l.quantity).join('、') }), el('span', { text: r.amount + ' 分 ' + (STATUS[r.status] || r.status) })), '今天还没有兑换')),
      el('section', {}, el('h2', { text: '最近一次结算' }), last ? el('p', { text: '截至 ' + last.through + '：' + last.redemptions + ' 笔，' + last.points + ' 分，' + last.amountCny + ' 元，' + (last.status === 'paid' ? '已付款' : '待付款') }) : el('p', { text: '还没有结算单' })));
    } },
    cards: { label: '户卡', roles: ['clerk', 'admin'], async render(v) {
      const [label, village] = await regionPicker('cards-village', '村', ['village']);
      v.append(el('section', {}, el('h2', { text: '打印户卡' }),
        el('p', { text: '每户一张（A6），一页四张（A4）：村名、户号、户主（隐去部分姓名）和二维码。村民扫码可查本户积分；店主扫码即可兑换。户卡丢失时在农户页重新生成，旧卡立即失效。' }),
        label, village, el('button', { id: 'cards-open', text: '打开打印页', onclick: () => window.open('/v1/villages/' + village.value + '/cards', '_blank') })),
        el('section', {}, el('h2', { text: '户卡丢失：重新生成' }),
          el('p', { class: 'hint', text: '重新生成后，旧卡上的二维码立即失效；请把新卡打印出来交给农户。' }),
          ...field('rotate-no', '户号', el('input', { id: 'rotate-no', autocomplete: 'off', placeholder: '如 500154101001-0023' })),
          el('button', { id: 'rotate', class: 'secondary', text: '重新生成户卡', onclick: async () => {
            try {
              const hit = (await findHouseholds($('rotate-no').value.trim())).items;
              if (hit.length !== 1) return flash(hit.length ? '有 ' + hit.length + ' 户匹配，请写完整户号。' : '没有找到这个户号。', false);
              await api('POST', '/v1/households/' + hit[0].id + '/card/rotate');
              flash('户号 ' + hit[0].no + ' 的户卡已重新生成，旧卡作废。', true);
              window.open('/v1/households/' + hit[0].id + '/card', '_blank');
            } catch (e) { flash(e.message, false); }
          } })));
    } },
    participation: { label: '参与度', roles: ['admin', 'auditor', 'reviewer'], async render(v) {
      const month = el('input', { id: 'participation-month', type: 'month', value: today().slice(0, 7) });
      const out = el('div', { id: 'participation' });
      const load = async () => {
        out.textContent = '';
        try {
          const r = await api('GET', '/v1/reports/participation?period=' + month.value);
          out.append(list(r.villages, (x) => el('div', { class: 'item' + (x.rate < 0.3 ? ' low' : ''), 'data-village': x.villageCode },
            el('span', { text: x.villageName + '　' + Math.round(x.rate * 100) + '%（' + x.households + ' 户中 ' + x.active + ' 户参与）' }),
            el('div', { class: 'bar', role: 'img', 'aria-label': '参与率 ' + Math.round(x.rate * 100) + '%' }, el('span', { style: 'width:' + Math.round(x.rate * 100) + '%' })),
            el('span', { class: 'hint', text: '发放 ' + x.issued + ' 分，兑换 ' + x.redeemed + ' 分，村民申报 ' + x.claims + ' 次（通过 ' + x.claimsApproved + '）' })), '没有村'));
        } catch (e) { flash(e.message, false); }
      };
      month.addEventListener('change', load);
      v.append(el('section', {}, el('h2', { text: '各村参与度（参与率最低的排在最前，先去这些村看看）' }), ...field('participation-month', '月份', month), out));
      await load();
    } },
    funds: { label: '基金', roles: ['admin', 'auditor'], async render(v) {
      const funds = (await api('GET', '/v1/funds')).items;
      const rows = [];
      for (const f of funds) {
        const d = await api('GET', '/v1/funds/' + f.id);
        rows.push(el('div', { class: 'item' }, el('span', { text: d.name }), el('span', { text: '余额 ' + d.balance + ' 元，覆盖率 ' + (d.coverageRatio ?? '—') + (d.belowAlert ? '（低于预警线）' : '') })));
      }
      v.append(el('section', {}, el('h2', { text: '基金覆盖率' }), rows.length ? el('div', {}, ...rows) : el('p', { text: '暂无基金' })));
    } },
  };

  function start() {
    $('signin').classList.add('hidden');
    if (me.mustChangePassword) { $('change-password').classList.remove('hidden'); $('current-password').focus(); return; }
    $('change-password').classList.add('hidden');
    $('app').classList.remove('hidden');
    const who = $('who');
    who.textContent = '';
    who.append(el('span', { id: 'who-text', text: (me.scopeRegionName || me.scopeRegionCode) + ' · ' + (ROLE[me.role] || me.role) + ' ' + me.name + '　' }),
      el('button', { class: 'secondary', id: 'logout', text: '退出', onclick: async () => { await api('POST', '/console/session/logout'); location.reload(); } }));
    const tabs = $('tabs');
    tabs.textContent = '';
    const mine = Object.entries(VIEWS).filter(([, v]) => v.roles.includes(me.role));
    for (const [key, v] of mine) tabs.append(el('button', { 'data-view': key, text: v.label, onclick: () => show(key) }));
    if (mine.length) show(mine[0][0]);
    else flash('这个角色没有控制台功能。', false);
  }

  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/v1/sessions', { phone: $('phone').value.trim(), password: $('password').value });
      $('password').value = '';
      me = await api('GET', '/console/session');
      start();
    } catch (e) { $('password').value = ''; flash(e.message, false); }
  });
  $('key-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      me = await api('POST', '/console/session', { apiKey: $('apikey').value.trim() });
      $('apikey').value = '';
      start();
    } catch (e) { flash(e.message, false); }
  });
  $('password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if ($('new-password').value !== $('new-password-2').value) return flash('两次输入的新密码不一样。', false);
    if ([...$('new-password').value].length < 8) return flash('新密码至少 8 位。', false);
    try {
      await api('PUT', '/v1/me/password', { currentPassword: $('current-password').value, newPassword: $('new-password').value });
      ['current-password', 'new-password', 'new-password-2'].forEach((id) => ($(id).value = ''));
      me = await api('GET', '/console/session');
      flash('新密码已保存。', true);
      start();
    } catch (e) { flash(e.message, false); }
  });
  api('GET', '/console/session').then((who) => { me = who; start(); }).catch(() => $('signin').classList.remove('hidden'));
})();
</script>
</body>
</html>`;
