import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, parseEnv } from './platform/config/app-config';
import { EmbeddedServerRunning } from './platform/embedded/embedded-postgres';
import { resolveRuntime } from './platform/embedded/runtime';

// Console lines here are for the person who ran `npm start`, so they are Chinese.
const say = (line: string) => process.stdout.write(`[jifen] ${line}\n`);

async function main(): Promise<void> {
  let vars;
  try {
    vars = parseEnv(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const { config, embedded } = await resolveRuntime(vars, say);
  let app;
  try {
    app = await createApp(config);
    await app.listen(config.port, '0.0.0.0');
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
  const base = `http://localhost:${config.port}`;
  say(`服务已启动: ${base}`);
  say(`API 文档: ${base}/docs   (JSON: ${base}/docs-json)`);
  say(`健康检查: ${base}/health`);
  if (config.embedded) say(`ADMIN_TOKEN=${config.adminToken}`);
  say('按 Ctrl-C 停止服务。');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`收到 ${signal}，正在停止…`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    try {
      await app!.close();
    } finally {
      await embedded?.stop();
      say('已停止。');
      process.exit(0);
    }
  };
  // Shutdown is ours rather than Nest's hooks: the app closes first (draining
  // requests and the pool), then the embedded server stops.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  if (e instanceof EmbeddedServerRunning) {
    process.stderr.write(`jifen 已在运行（内置数据库端口 ${e.port}）。请先停止另一个进程，或设置另一个 DATA_DIR。\n`);
    process.exit(1);
  }
  process.stderr.write(`启动失败: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
