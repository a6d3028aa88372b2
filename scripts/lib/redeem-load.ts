/**
 * Redemptions at a fixed rate for bench:mixed, in a process of its own so that
 * it does not share the server's event loop. Open loop: one request every
 * 1/rate s whether or not the earlier ones were answered (a shop's customers
 * do not wait for each other). Each request may take up to 120 s; one that
 * gets no answer by then counts as unanswered. Prints JSON.
 * argv: baseUrl shopkeeperKey shopId householdsFile seconds rate
 */
import { readFileSync } from 'fs';
import * as http from 'http';

const [base, apiKey, shopId, householdsFile, secondsArg, rateArg] = process.argv.slice(2);
const households: string[] = JSON.parse(readFileSync(householdsFile, 'utf8'));
const seconds = Number(secondsArg);
const rate = Number(rateArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });
const url = new URL('/v1/redemptions', base);
const ANSWER_WITHIN_MS = 120_000;

interface Outcome { status: number | 'unanswered' | 'reset'; ms: number }

function redeem(i: number): Promise<Outcome> {
  const body = JSON.stringify({ shopId, holder: { type: 'household', id: households[i % households.length] }, pin: '123456', lines: [{ sku: 'SOAP', quantity: 1 }] });
  const started = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    const req = http.request(
      { agent, method: 'POST', hostname: url.hostname, port: url.port, path: url.pathname, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': `mixed-${process.pid}-${i}` } },
      (res) => {
        res.resume();
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, ms: ms() });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status: 'unanswered', ms: ms() });
    }, ANSWER_WITHIN_MS);
    req.on('error', () => {
      clearTimeout(timer);
      resolve({ status: 'reset', ms: ms() });
    });
    req.end(body);
  });
}

async function main(): Promise<void> {
  const pending: Promise<Outcome>[] = [];
  const total = Math.round(seconds * rate);
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(redeem(i));
  }
  const outcomes = await Promise.all(pending);
  const answered = outcomes.filter((o) => typeof o.status === 'number').map((o) => o.ms).sort((a, b) => a - b);
  const pct = (p: number) => (answered.length ? answered[Math.min(answered.length - 1, Math.ceil((p / 100) * answered.length) - 1)] : null);
  const statuses: Record<string, number> = {};
  for (const o of outcomes) statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
  process.stdout.write(JSON.stringify({ sent: total, answered: answered.length, unanswered: total - answered.length, statuses, p50: pct(50), p99: pct(99), max: answered[answered.length - 1] ?? null }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
