/**
 * Phones opening household pages, for bench:page, in a process of its own so
 * that it does not share the server's event loop. Closed loop: `phones`
 * clients, each opening a page as soon as its previous one arrived, for
 * `seconds`. Prints JSON: count, statuses and latency percentiles.
 * argv: baseUrl pathsFile phones seconds
 */
import { readFileSync } from 'fs';
import * as http from 'http';

const [base, pathsFile, phonesArg, secondsArg] = process.argv.slice(2);
const paths: string[] = JSON.parse(readFileSync(pathsFile, 'utf8'));
const phones = Number(phonesArg);
const until = Date.now() + Number(secondsArg) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: phones });
const url = new URL(base);
const times: number[] = [];
const statuses: Record<string, number> = {};

function open(path: string): Promise<void> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request({ agent, method: 'GET', hostname: url.hostname, port: url.port, path, headers: { Accept: 'text/html' } }, (res) => {
      res.resume();
      res.on('end', () => {
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        resolve();
      });
    });
    req.on('error', () => {
      statuses.error = (statuses.error ?? 0) + 1;
      resolve();
    });
    req.end();
  });
}

async function phone(n: number): Promise<void> {
  for (let i = n; Date.now() < until; i += phones) await open(paths[i % paths.length]);
}

void Promise.all(Array.from({ length: phones }, (_, n) => phone(n))).then(() => {
  times.sort((a, b) => a - b);
  const q = (p: number) => (times.length ? times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] : null);
  process.stdout.write(JSON.stringify({ count: times.length, statuses, p50: q(50), p95: q(95), p99: q(99), max: times[times.length - 1] ?? null }));
  agent.destroy();
});
