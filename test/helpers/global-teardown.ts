import { rmSync } from 'fs';

export default async function globalTeardown(): Promise<void> {
  const held = (globalThis as any).__JIFEN_PG__ as { pg: { stop(): Promise<void> }; dir: string } | undefined;
  if (!held) return;
  await held.pg.stop();
  rmSync(held.dir, { recursive: true, force: true });
}
