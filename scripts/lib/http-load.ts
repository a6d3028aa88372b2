/**
 * Load generator for bench:ledger, run in its own process so that it does not
 * share the server's event loop. N keep-alive clients, each sending one
 * POST /v1/transfers after another for the given seconds. Prints JSON.
 * With mode "health" it sends GET /health instead: the framework's ceiling.
 * Prints its own CPU seconds too (warm-up and measured phase), for CPU per request.
 * argv: baseUrl apiKey seconds clients householdsFile [transfers|health]
 */
import { readFileSync } from 'fs';
import * as http from 'http';

const [base, apiKey, secondsArg, clientsArg, householdsFile, mode = 'transfers'] = process.argv.slice(2);
const households: string[] = JSON.parse(readFileSync(householdsFile, 'utf8'));
const seconds = Number(secondsArg);
const clients = Number(clientsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const url = new URL('/v1/transfers', base);
const statuses: Record<string, number> = {};
let serial = 0;

function post(body: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, method: 'POST', hostname: url.hostname, port: url.port, path: url.pathname, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': key } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function get(pathname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ agent, hostname: url.hostname, port: url.port, path: pathname }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

async function client(until: number, id: number): Promise<void> {
  while (Date.now() < until) {
    if (mode === 'health') {
      const status = await get('/health');
      statuses[status] = (statuses[status] ?? 0) + 1;
      continue;
    }
    const a = households[Math.floor(Math.random() * households.length)];
    let b = households[Math.floor(Math.random() * households.length)];
    if (b === a) b = households[(households.indexOf(a) + 1) % households.length];
    const body = JSON.stringify({ asset: 'CONDUCT', from: { type: 'household', id: a }, to: { type: 'household', id: b }, amount: '0.01', memo: 'bench-http' });
    const status = await post(body, `bench-${process.pid}-${id}-${serial++}`);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
}

async function main(): Promise<void> {
  const cpu0 = process.cpuUsage(); // from here on: the load itself, not this script's start-up
  // Warm up the connections and the server's caches before the clock starts.
  const warm = Date.now() + 1000;
  await Promise.all(Array.from({ length: clients }, (_, i) => client(warm, i)));
  const warmed = { ...statuses };
  for (const k of Object.keys(statuses)) delete statuses[k];
  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, (_, i) => client(started + seconds * 1000, i)));
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ elapsed, statuses, warmed, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
  agent.destroy();
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e));
  process.exit(1);
});
