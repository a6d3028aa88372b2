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
  const STATUS = { submitted: '待审核', approved: '已审核，待入账', in_notice: '公示中', posted: '已入账', rejected: '已驳回', objected: '有异议', voided: '已作废', completed: '已完成', held: '预留中', refunded: '已退货' };
  const CODES = {
    'role-not-allowed': '您的角色无权执行此操作。', 'not-found': '找不到该对象，或它不在您的管辖范围内。', 'maker-checker': '录入人不能审核自己录入的记录。',
    'cap-reached': '该项本期已达上限。', 'evidence-required': '该项需要上传证明材料。', 'insufficient-points': '积分不足。', 'pin-incorrect': 'PIN 不正确。',
    'too-many-attempts': 'PIN 错误次数过多，请稍后再试。', 'out-of-stock': '库存不足。', 'sanctioned': '该户因惩戒暂停兑换。', csrf: '页面已过期，请刷新后重试。',
    'wrong-code': '签到码不对，请看活动现场公布的 6 位签到码。', 'outside-activity-window': '现在不在活动时间内（开始前 30 分钟到结束后 30 分钟可以签到、签退）。',
    'not-checked-in': '没有签到、签退记录，或登记的时长超过了签到到签退之间的时长。', 'already-checked-in': '已经签到过了。', 'already-checked-out': '已经签退过了。',
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
        ...field('who-search', '按户主姓名查找', el('input', { id: 'who-search', autocomplete: 'off' })),
        el('button', { type: 'button', class: 'secondary', id: 'search', text: '搜索', onclick: async () => {
          try {
            const found = await api('GET', '/v1/households?q=' + encodeURIComponent($('who-search').value.trim()));
            const out = $('search-results');
            out.textContent = '';
            out.append(list(found.items, (h) => el('div', { class: 'item' }, el('span', { text: h.headName + '　' + h.villageCode }),
              el('button', { type: 'button', class: 'secondary', text: '选择', onclick: () => { $('hh').value = h.id; findHousehold(); } })), '没有找到'));
          } catch (e) { flash(e.message, false); }
        } }),
        el('div', { id: 'search-results' }));
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
      v.append(el('section', {}, el('h2', { text: '录入红黄榜记录' }), search, form));
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
      el('section', {}, el('h2', { text: '待审核（' + queue.items.length + '）' }), list(queue.items, (r) => {
        const reason = el('input', { 'aria-label': '驳回理由', placeholder: '驳回理由（驳回时必填）' });
        return el('div', { class: 'item' }, el('span', { text: r.occurredOn + ' ' + r.ruleName + ' ' + (r.direction === 'credit' ? '+' : '−') + r.points + (r.evidence.length ? '（有证明材料）' : '') }),
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
      const file = el('input', { id: 'csv', type: 'file', accept: '.csv,text/csv' });
      const report = el('div', { id: 'import-report', 'aria-live': 'polite' });
      const send = async (dry) => {
        const f = file.files[0];
        if (!f) return flash('请先选择文件。', false);
        report.textContent = dry ? '正在逐行检查…' : '正在导入…';
        const res = await fetch('/v1/records/import' + (dry ? '?dryRun=true' : ''), { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': decodeURIComponent(csrf()) }, body: await f.arrayBuffer() });
        const data = await res.json();
        report.textContent = '';
        if (!res.ok && !data.rejected) return flash((data && (CODES[data.code] || data.detail)) || '导入失败', false);
        report.append(el('p', { text: (dry ? '检查结果：可导入 ' : '已导入 ') + data.accepted + ' 行，有问题 ' + data.rejected.length + ' 行' + (dry ? '（尚未写入）' : '') }),
          list(data.rejected, (r) => el('div', { class: 'item' }, el('span', { text: '第 ' + r.line + ' 行：' + r.errors.join('；') })), ''));
        if (dry && !data.rejected.length && data.accepted) report.append(el('button', { id: 'commit-import', text: '确认导入', onclick: () => send(false) }));
        if (!dry && res.ok) flash('导入完成：' + data.accepted + ' 条记录，待另一位审核人整批审批', true);
      };
      v.append(el('section', {}, el('h2', { text: '导入表格（CSV，UTF-8 或 GBK）' }),
        el('p', { text: '表头：holderType,holderId,ruleCode,quantity,occurredOn,note。先检查，全部无误后再确认导入。' }),
        el('label', { for: 'csv', text: '选择文件' }), file, el('button', { id: 'check-import', text: '检查文件', onclick: () => send(true).catch((e) => flash(e.message, false)) }), report));
    } },
    orders: { label: '服务订单', roles: ['reviewer', 'admin'], async render(v) {
      const waiting = await api('GET', '/v1/service-orders?status=requested&limit=50');
      const overdue = await api('GET', '/v1/service-orders?overdue=true&limit=50');
      const teams = (await api('GET', '/v1/teams')).items;
      v.append(el('section', {}, el('h2', { text: '待派单（' + waiting.items.length + '）' }), list(waiting.items, (o) => {
        const pick = el('select', { 'aria-label': '服务队' }, ...teams.filter((t) => o.regionCode.startsWith(t.regionCode)).map((t) => el('option', { value: t.id, text: t.name })));
        return el('div', { class: 'item' }, el('span', { text: o.title + '　' + o.regionCode + (o.overdue ? '　⚠ 超时' + (o.escalatedTo ? '，已上报 ' + o.escalatedTo : '') : '') }), pick,
          el('button', { text: '派单', onclick: async () => { try { await api('POST', '/v1/service-orders/' + o.id + '/dispatch', { teamId: pick.value }); await show('orders'); flash('已派单', true); } catch (e) { flash(e.message, false); } } }));
      }, '没有待派单的订单')),
      el('section', {}, el('h2', { text: '超时订单（' + overdue.items.length + '）' }), list(overdue.items, (o) => el('div', { class: 'item' },
        el('span', { text: o.title + '　' + o.regionCode }), el('span', { text: STATUS[o.status] || o.status })), '没有超时订单')));
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
      const village = el('input', { id: 'board-village', 'aria-label': '村代码', placeholder: '村代码（12 位）', value: me.scopeRegionCode.length === 12 ? me.scopeRegionCode : '' });
      const period = el('input', { id: 'board-period', 'aria-label': '期间', placeholder: '2026-10 或 2026-Q4', value: today().slice(0, 7) });
      const out = el('div', { id: 'board-out' });
      v.append(el('section', {}, el('h2', { text: '生成与公示红黑榜' }), el('label', { for: 'board-village', text: '村代码' }), village, el('label', { for: 'board-period', text: '期间' }), period,
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
      const region = el('input', { id: 'grade-region', 'aria-label': '地区代码', value: me.scopeRegionCode });
      const card = el('select', { id: 'grade-card', 'aria-label': '评分卡' }, ...cards.map((c) => el('option', { value: c.id, text: c.name + ' v' + c.version })));
      const out = el('div', { id: 'grade-out', 'aria-live': 'polite' });
      v.append(el('section', {}, el('h2', { text: '计算与公示评级' }), el('label', { for: 'grade-region', text: '地区代码' }), region, el('label', { for: 'grade-card', text: '评分卡' }), card,
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
