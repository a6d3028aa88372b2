import { escapeHtml } from '../platform/util/public-page';
import type { HouseholdPageView } from './household-page.service';

/** Large type, high contrast, one column: read on a phone by someone of seventy. */
const CSS = `*{box-sizing:border-box}
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;padding:1rem;color:#000;background:#fff;font-size:1.3rem;line-height:1.6;max-width:40rem;margin:0 auto}
h1{font-size:1.7rem;margin:.2rem 0;color:#a00}
h2{font-size:1.4rem;margin:1.4rem 0 .4rem;border-bottom:3px solid #a00}
.no{font-size:1.5rem;font-weight:bold}
.big{font-size:3.2rem;font-weight:bold;line-height:1.2;color:#000}
.rank{font-size:1.6rem;font-weight:bold;color:#a00}
.card{border:2px solid #000;border-radius:.6rem;padding:.8rem 1rem;margin:.8rem 0}
ul{list-style:none;padding:0;margin:0}
li{padding:.5rem 0;border-bottom:1px solid #999;display:flex;justify-content:space-between;gap:.5rem}
.plus{color:#060;font-weight:bold;white-space:nowrap}.minus{color:#a00;font-weight:bold;white-space:nowrap}
.muted{color:#333;font-size:1.1rem}
a{color:#00c}
label{display:block;margin:.8rem 0 .2rem;font-weight:bold}
input,select,textarea,button{font-size:1.3rem;width:100%;padding:.6rem;border:2px solid #000;border-radius:.4rem;background:#fff;color:#000}
button{background:#a00;color:#fff;border-color:#a00;font-weight:bold;margin-top:1rem;min-height:3.2rem}
button.secondary{background:#fff;color:#000;border-color:#000}
.msg{padding:.6rem;border-radius:.4rem;margin:.6rem 0;font-weight:bold}
.ok{background:#e6f4e6;border:2px solid #060}.err{background:#fde8e8;border:2px solid #a00}
.status{font-size:1.05rem;white-space:nowrap}`;

/** The page's script: unlock with the PIN, then show the history and the claim form (no framework; the page works without it for reading). */
const SCRIPT = `
const $ = (id) => document.getElementById(id);
const base = location.pathname.replace(/\\/+$/, '');
const BENEFIT = { REDEEM: '积分兑换', LOAN: '信用贷款', SUBSIDY: '奖补资金' };
const STATUS = { submitted: '待审核', approved: '已通过', in_notice: '公示中', posted: '已入账', rejected: '未通过', objected: '有异议', voided: '已作废' };
function text(tag, t, cls) { const e = document.createElement(tag); e.textContent = t; if (cls) e.className = cls; return e; }
function say(el, t, ok) { el.textContent = t; el.className = 'msg ' + (ok ? 'ok' : 'err'); el.hidden = false; }
async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body instanceof FormData) init.body = body;
  else if (body) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  const res = await fetch(base + path, init);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && (data.errors && data.errors[0] && data.errors[0].messages[0] || data.detail)) || ('出错了（' + res.status + '）'));
  return data;
}
async function showHistory() {
  const h = await call('GET', '/history');
  $('locked').hidden = true; $('unlocked').hidden = false;
  $('redeemable').textContent = h.redeemable;
  $('floor').textContent = h.redeemFloor !== '0' && Number(h.redeemFloor) > 0 ? '（保底 ' + h.redeemFloor + ' 分不能兑换）' : '';
  const sanctions = $('sanctions'); sanctions.replaceChildren();
  for (const s of h.sanctions) sanctions.append(text('p', '⚠ 暂停：' + s.benefitCodes.map((b) => BENEFIT[b] || b).join('、') + '。' + s.liftsWhen, 'msg err'));
  const recs = $('records'); recs.replaceChildren();
  if (!h.records.length) recs.append(text('li', '还没有记录'));
  for (const r of h.records) {
    const li = document.createElement('li');
    const left = document.createElement('div');
    left.append(text('div', r.ruleName + (r.source === 'claim' ? '（本户申报）' : '')));
    let note = r.occurredOn + ' · ' + (STATUS[r.status] || r.status);
    if (r.status === 'in_notice' && r.noticeEndsOn) note += '，' + r.noticeEndsOn + ' 公示结束';
    left.append(text('div', note, 'muted'));
    if (r.reason) left.append(text('div', '原因：' + r.reason, 'muted'));
    li.append(left, text('span', (r.direction === 'credit' ? '+' : '-') + r.points, r.direction === 'credit' ? 'plus' : 'minus'));
    recs.append(li);
  }
  const entries = $('entries'); entries.replaceChildren();
  if (!h.entries.length) entries.append(text('li', '还没有积分变动'));
  for (const e of h.entries.filter((x) => x.asset === 'CONDUCT')) {
    const li = document.createElement('li');
    const left = document.createElement('div');
    left.append(text('div', e.memo || e.kind), text('div', e.effectiveOn + ' · 余额 ' + e.balanceAfter, 'muted'));
    li.append(left, text('span', (e.amount.startsWith('-') ? '' : '+') + e.amount, e.amount.startsWith('-') ? 'minus' : 'plus'));
    entries.append(li);
  }
  $('occurredOn').max = h.today; $('occurredOn').min = h.earliestClaimDay; if (!$('occurredOn').value) $('occurredOn').value = h.today;
}
$('pinForm').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try { await call('POST', '/session', { pin: $('pin').value }); $('pin').value = ''; await showHistory(); }
  catch (e) { say($('pinMsg'), e.message, false); }
});
$('claimForm').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const files = $('photos').files;
  if (files.length > 3) return say($('claimMsg'), '最多 3 张照片', false);
  const form = new FormData();
  form.append('ruleCode', $('ruleCode').value);
  form.append('occurredOn', $('occurredOn').value);
  if ($('note').value) form.append('note', $('note').value);
  for (const f of files) form.append('photos', f);
  $('claimButton').disabled = true;
  try { const c = await call('POST', '/claims', form); say($('claimMsg'), '已提交：' + c.ruleName + '，村委会审核后入账', true); $('claimForm').reset(); await showHistory(); }
  catch (e) { say($('claimMsg'), e.message, false); }
  finally { $('claimButton').disabled = false; }
});
$('lock').addEventListener('click', async () => { try { await call('DELETE', '/session'); } finally { location.reload(); } });
showHistory().catch(() => undefined);
`;

export function householdPageHtml(v: HouseholdPageView): string {
  const credit = v.items.filter((i) => i.direction === 'credit');
  const debit = v.items.filter((i) => i.direction === 'debit');
  const unit = (u: string | null) => (u === 'hour' ? ' / 小时' : u === 'time' ? ' / 次' : '');
  const list = (items: HouseholdPageView['items'], sign: '+' | '-') =>
    items.length
      ? `<ul>${items.map((i) => `<li><span>${escapeHtml(i.name)}</span><span class="${sign === '+' ? 'plus' : 'minus'}">${sign}${escapeHtml(i.points)}${unit(i.unit)}</span></li>`).join('')}</ul>`
      : '<p class="muted">暂无</p>';
  const net = v.monthNet.startsWith('-') ? v.monthNet : `+${v.monthNet}`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(v.villageName)} ${escapeHtml(v.householdNo)} 户积分</title><style>${CSS}</style></head><body>
<h1>${escapeHtml(v.villageName)}</h1>
<p class="no">户号 ${escapeHtml(v.householdNo)}</p>
<p>户主 ${escapeHtml(v.headName)}</p>
<div class="card"><div>现有文明积分</div><div class="big" id="balance">${escapeHtml(v.balance)}</div>
<div>本月 <b id="monthNet">${escapeHtml(net)}</b> 分</div>
<div class="rank" id="rank">本月全村第 ${v.monthRank} 名 / 共 ${v.villageHouseholds} 户</div></div>
<p><a href="${escapeHtml(v.boardUrl)}">看本月红黑榜 →</a></p>
<section id="locked">
<h2>查看明细、申报好人好事</h2>
<form id="pinForm"><label for="pin">输入本户 PIN（4–6 位数字）</label>
<input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]*" maxlength="6" autocomplete="off" required>
<button type="submit">打开明细</button></form>
<p id="pinMsg" hidden></p>
<p class="muted">PIN 由村里设置，连续输错 5 次会锁定 15 分钟（兑换也一起锁定）。</p>
</section>
<section id="unlocked" hidden>
<div class="card"><div>现在可以兑换</div><div class="big" id="redeemable"></div><div class="muted" id="floor"></div></div>
<div id="sanctions"></div>
<h2>申报好人好事</h2>
<form id="claimForm">
<label for="ruleCode">做了什么好事</label><select id="ruleCode" name="ruleCode" required>${credit.map((i) => `<option value="${escapeHtml(i.code)}">${escapeHtml(i.name)}（+${escapeHtml(i.points)}）</option>`).join('')}</select>
<label for="occurredOn">哪一天</label><input id="occurredOn" name="occurredOn" type="date" required>
<label for="note">说明（可不填）</label><textarea id="note" name="note" rows="3" maxlength="500"></textarea>
<label for="photos">照片（最多 3 张，每张 5 MB 以内）</label><input id="photos" name="photos" type="file" accept="image/jpeg,image/png" multiple>
<button type="submit" id="claimButton">提交申报</button></form>
<p id="claimMsg" hidden></p>
<h2>本户记录</h2><ul id="records"></ul>
<h2>积分变动</h2><ul id="entries"></ul>
<button type="button" class="secondary" id="lock">退出（锁上明细）</button>
</section>
<h2>红榜：加分事项</h2>${list(credit, '+')}
<h2>黄榜：扣分事项</h2>${list(debit, '-')}
<script>${SCRIPT}</script>
</body></html>`;
}
