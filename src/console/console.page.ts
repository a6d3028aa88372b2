/**
 * The console page: plain HTML, CSS and script, no build step. Everything it
 * shows comes from the HTTP API with the signed-in key's role and scope; data
 * is put into the page with textContent only (never as HTML).
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
.item span{overflow-wrap:anywhere}
.done{font-size:1.6rem;text-align:center;padding:1.5rem}
.hidden{display:none}
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
      <label for="apikey">API 密钥</label>
      <input id="apikey" name="apikey" autocomplete="off" required placeholder="jf_…">
      <button type="submit">登录</button>
    </form>
    <p><small>密钥由县文明实践中心发放；演示环境的密钥在启动时打印。</small></p>
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
  const STATUS = { submitted: '待审核', in_notice: '公示中', posted: '已入账', rejected: '已驳回', objected: '有异议', voided: '已作废', completed: '已完成', held: '预留中', refunded: '已退货' };
  const CODES = {
    'role-not-allowed': '您的角色无权执行此操作。', 'not-found': '找不到该对象，或它不在您的管辖范围内。', 'maker-checker': '录入人不能审核自己录入的记录。',
    'cap-reached': '该项本期已达上限。', 'evidence-required': '该项需要上传证明材料。', 'insufficient-points': '积分不足。', 'pin-incorrect': 'PIN 不正确。',
    'too-many-attempts': 'PIN 错误次数过多，请稍后再试。', 'out-of-stock': '库存不足。', 'sanctioned': '该户因惩戒暂停兑换。', csrf: '页面已过期，请刷新后重试。',
  };
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
  const field = (id, label, input) => [el('label', { for: id, text: label }), input];
  const list = (items, render, empty) => items.length ? el('div', {}, ...items.map(render)) : el('p', { text: empty });

  async function show(view) {
    const v = $('view');
    v.textContent = '';
    $('flash').textContent = '';
    try { await VIEWS[view].render(v); } catch (e) { flash(e.message, false); }
    document.querySelectorAll('#tabs button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === view)));
  }

  const VIEWS = {
    enter: { label: '录入记录', roles: ['clerk', 'admin'], async render(v) {
      const form = el('form', { id: 'enter-form' },
        ...field('hh', '农户编号（户号）', el('input', { id: 'hh', required: '', autocomplete: 'off' })),
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
          const r = await api('POST', '/v1/records', { holder: { type: 'household', id: $('hh').value.trim() }, ruleCode: $('rule').value, occurredOn: $('date').value,
            quantity: $('qty').value.trim() || '1', ...(evidence ? { evidence: [evidence] } : {}), ...($('note').value ? { note: $('note').value } : {}) });
          flash('已提交：' + r.ruleName + '，' + r.points + ' 分' + (r.capped ? '（已按上限计）' : '') + '，状态：' + STATUS[r.status], true);
        } catch (e) { flash(e.message, false); }
      });
      v.append(el('section', {}, el('h2', { text: '录入红黄榜记录' }), form));
      let items = [];
      async function findHousehold() {
        try {
          const h = await api('GET', '/v1/households/' + encodeURIComponent($('hh').value.trim()));
          $('hh-info').textContent = '户主：' + h.headName + '　村：' + h.villageCode;
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
      const queue = await api('GET', '/v1/records?status=submitted&limit=50');
      const objected = await api('GET', '/v1/records?status=objected&limit=50');
      const act = async (path, body, what) => { try { await api('POST', path, body); flash(what, true); await show('review'); flash(what, true); } catch (e) { flash(e.message, false); } };
      v.append(el('section', {}, el('h2', { text: '待审核（' + queue.items.length + '）' }), list(queue.items, (r) => {
        const reason = el('input', { 'aria-label': '驳回理由', placeholder: '驳回理由（驳回时必填）' });
        return el('div', { class: 'item' }, el('span', { text: r.occurredOn + ' ' + r.ruleName + ' ' + (r.direction === 'credit' ? '+' : '−') + r.points + (r.evidence.length ? '（有证明材料）' : '') }),
          el('button', { text: '通过', onclick: () => act('/v1/records/' + r.id + '/approve', {}, '已通过：' + r.ruleName) }),
          reason,
          el('button', { class: 'secondary', text: '驳回', onclick: () => reason.value.trim() ? act('/v1/records/' + r.id + '/reject', { reason: reason.value.trim() }, '已驳回') : flash('驳回需要填写理由。', false) }));
      }, '没有待审核的记录')),
      el('section', {}, el('h2', { text: '公示异议（' + objected.items.length + '）' }), list(objected.items, (r) => el('div', { class: 'item' }, el('span', { text: r.ruleName + ' ' + r.points }),
        el('button', { text: '异议不成立', onclick: () => act('/v1/records/' + r.id + '/resolve', { outcome: 'dismissed', reason: '经核实情况属实' }, '已处理：入账') }),
        el('button', { class: 'secondary', text: '异议成立', onclick: () => act('/v1/records/' + r.id + '/resolve', { outcome: 'upheld', reason: '经核实异议成立' }, '已处理：驳回') })), '没有待处理的异议')));
    } },
    activities: { label: '志愿活动', roles: ['organizer', 'reviewer', 'admin'], async render(v) {
      const page = await api('GET', '/v1/activities?limit=30');
      v.append(el('section', {}, el('h2', { text: '活动库' }), list(page.items, (a) => el('div', { class: 'item' },
        el('span', { text: a.startsAt.slice(0, 10) + ' ' + a.title }), el('span', { text: a.status === 'listed' ? '已入库，签到码 ' + a.signInCode : '待审批' })), '暂无活动')));
    } },
    redeem: { label: '积分兑换', roles: ['shopkeeper'], async render(v) {
      const items = (await api('GET', '/v1/shops/' + me.shopId + '/items')).items;
      const form = el('form', { id: 'redeem-form' },
        ...field('holder', '农户编号（扫码或输入户号）', el('input', { id: 'holder', required: '', autocomplete: 'off' })),
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
          const r = await api('POST', '/v1/redemptions', { shopId: me.shopId, holder: { type: 'household', id: $('holder').value.trim() }, pin, lines }, { 'Idempotency-Key': crypto.randomUUID() });
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
    $('app').classList.remove('hidden');
    const who = $('who');
    who.textContent = '';
    who.append(el('span', { text: (ROLE[me.role] || me.role) + '　范围 ' + me.scopeRegionCode + '　' }),
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
      me = await api('POST', '/console/session', { apiKey: $('apikey').value.trim() });
      $('apikey').value = '';
      start();
    } catch (e) { flash(e.message, false); }
  });
  api('GET', '/console/session').then((who) => { me = who; start(); }).catch(() => $('signin').classList.remove('hidden'));
})();
</script>
</body>
</html>`;
