/**
 * npm run tour — walks each user's story against the running jifen (npm start
 * in another terminal) over HTTP and prints a transcript in Chinese and
 * English. Reads the demo's keys from DATA_DIR/demo-keys.json (default
 * .data); JIFEN_URL (default http://localhost:$PORT, PORT default 3000).
 * Exits 1 at the first step that does not behave as described.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import type { DemoFacts } from '../src/demo/demo-loader';
import { runTour } from './tour-story';

async function main(): Promise<void> {
  const file = path.resolve(process.env.DATA_DIR ?? '.data', 'demo-keys.json');
  if (!existsSync(file)) {
    process.stderr.write(`找不到 ${file}：请先运行 npm start（演示县会在第一次启动时加载）。\nNo demo keys at ${file}: run npm start first.\n`);
    process.exit(1);
  }
  const facts = JSON.parse(readFileSync(file, 'utf8')) as DemoFacts;
  const base = process.env.JIFEN_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
  try {
    const health = await fetch(`${base}/health`);
    if (!health.ok) throw new Error(`health ${health.status}`);
  } catch (e) {
    process.stderr.write(`连不上 ${base}（${String(e)}）：jifen 在运行吗？/ Cannot reach ${base}: is jifen running?\n`);
    process.exit(1);
  }
  process.stdout.write(`jifen 导览 / guided tour — ${base}\n`);
  await runTour(base, facts, (line) => process.stdout.write(`${line}\n`));
}

main().catch((e) => {
  process.stderr.write(`\n导览失败 / TOUR FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
