import * as QRCode from 'qrcode';
import { escapeHtml } from '../platform/util/public-page';
import type { DoorCard } from './holders.service';

/** The URL a door card's QR code carries: the household's own page. */
export const householdPageUrl = (publicBaseUrl: string, token: string) => `${publicBaseUrl}/h/${token}`;

/** A QR code as inline SVG (error correction M: a card on a door gets scuffed). */
async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

const CARD_CSS = `
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#111;background:#fff}
.card{width:105mm;height:148mm;padding:8mm;border:1px dashed #999;display:flex;flex-direction:column;align-items:center;justify-content:space-between;page-break-inside:avoid;break-inside:avoid}
.card h1{font-size:7mm;margin:0;color:#b22;letter-spacing:1mm}
.card .village{font-size:6mm;margin:2mm 0 0}
.card .no{font-size:6mm;font-weight:bold;margin:2mm 0;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .head{font-size:6mm;margin:0}
.card .qr svg{width:70mm;height:70mm;display:block}
.card .hint{font-size:4mm;color:#444;margin:0;text-align:center}
.sheet{display:grid;grid-template-columns:105mm 105mm;justify-content:center}
@page{size:A4;margin:0}
@media screen{body{padding:4mm}.card{margin:0 auto 4mm}.sheet .card{margin:0}}
@media screen and (max-width:420px){.card{width:100%;height:auto;gap:3mm}.sheet{grid-template-columns:1fr}.card .qr svg{width:60vw;height:60vw}}
`;

async function cardHtml(card: DoorCard, villageName: string, publicBaseUrl: string): Promise<string> {
  return `<section class="card" data-no="${escapeHtml(card.no)}">
<h1>积分户卡</h1>
<p class="village">${escapeHtml(villageName)}</p>
<p class="no">户号 ${escapeHtml(card.no)}</p>
<p class="head">户主 ${escapeHtml(card.headName)}</p>
<div class="qr">${await qrSvg(householdPageUrl(publicBaseUrl, card.token))}</div>
<p class="hint">用手机扫码，查看本户积分<br>兑换时请出示此卡</p>
</section>`;
}

/** One card (A6), or a village's sheet (A4, four cards a page). */
export async function doorCardsPage(cards: DoorCard[], villageName: string, publicBaseUrl: string, title: string, sheet: boolean): Promise<string> {
  const body = (await Promise.all(cards.map((c) => cardHtml(c, villageName, publicBaseUrl)))).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CARD_CSS}${sheet ? '' : '@page{size:A6;margin:0}'}</style></head><body>
${cards.length ? (sheet ? `<div class="sheet">${body}</div>` : body) : '<p>这个村还没有登记农户。</p>'}
</body></html>`;
}
