/**
 * What the public sees: names masked as the notice board does it (first and
 * last character kept, the rest "*": 王*明, 欧阳**华; two characters keep the
 * first: 李*), and a small printable HTML page in Chinese.
 */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 2) return chars.length ? `${chars[0]}*` : '';
  // A compound surname (欧阳, 司马…) counts as the first character: 欧阳建国华 → 欧阳**华.
  const head = chars.length >= 4 && COMPOUND_SURNAMES.has(chars[0] + chars[1]) ? 2 : 1;
  return chars.slice(0, head).join('') + '*'.repeat(chars.length - head - 1) + chars[chars.length - 1];
}

const COMPOUND_SURNAMES = new Set([
  '欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙', '宇文', '司徒', '夏侯', '令狐', '轩辕', '端木', '西门', '南宫', '独孤', '百里',
]);

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface PageTable {
  caption: string;
  columns: string[];
  rows: string[][];
  empty: string;
}

/** A printable A4-friendly page: a title, a line under it, tables, a footer, and optional small print under it. */
export function printablePage(title: string, subtitle: string, tables: PageTable[], footer: string, smallPrint?: string): string {
  const table = (t: PageTable) =>
    `<h2>${escapeHtml(t.caption)}</h2>` +
    (t.rows.length
      ? `<table><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
          .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`
      : `<p class="empty">${escapeHtml(t.empty)}</p>`);
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;max-width:48rem;margin:1.5rem auto;padding:0 1rem;color:#222}
h1{text-align:center;font-size:1.6rem;margin-bottom:.2rem}
p.sub{text-align:center;color:#555;margin-top:0}
h2{font-size:1.2rem;border-bottom:2px solid #b22;padding-bottom:.2rem}
table{width:100%;border-collapse:collapse;margin-bottom:1rem}
th,td{border:1px solid #999;padding:.35rem .5rem;text-align:left}
th{background:#f3f3f3}
p.empty{color:#777}
footer{margin-top:2rem;color:#555;font-size:.9rem;text-align:right}
p.fine{margin-top:.5rem;color:#666;font-size:.7rem;text-align:right;word-break:break-all}
@media print{body{margin:0}}
</style></head><body>
<h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(subtitle)}</p>
${tables.map(table).join('\n')}
<footer>${escapeHtml(footer)}</footer>
${smallPrint ? `<p class="fine">${escapeHtml(smallPrint)}</p>` : ''}
</body></html>`;
}

/** The small print of a publication's ledger anchor: enough to check later that history was not rewritten. */
export function anchorSmallPrint(a: { shortHash: string; sealNo: string; sealedAt: string } | null | undefined): string | undefined {
  if (!a) return undefined;
  return `账本封存指纹 ${a.shortHash}（第 ${a.sealNo} 次封存，${a.sealedAt.slice(0, 10)}）。凭此指纹可核对公示后账目未被改动。`;
}
