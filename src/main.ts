import 'reflect-metadata';
import { createApp } from './app.factory';
import { DemoFacts, DemoLoader } from './demo/demo-loader';
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
  let facts: DemoFacts | null = null;
  try {
    app = await createApp(config);
    await app.init();
    if (config.demo) facts = (await new DemoLoader(app, config.dataDir, say).load()).facts;
    await app.listen(config.port, '0.0.0.0');
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
  const base = `http://localhost:${config.port}`;
  say(`服务已启动 (listening): ${base}`);
  say(`API 文档 (API docs): ${base}/docs   (JSON: ${base}/docs-json)`);
  say(`健康检查 (health): ${base}/health`);
  if (config.embedded) say(`ADMIN_TOKEN=${config.adminToken}`);
  if (facts) {
    say('演示县的 API 密钥（每个角色一把；Authorization: Bearer <密钥>）/ demo API keys, one per role:');
    for (const [role, key] of Object.entries(facts.keys)) say(`  ${role.padEnd(10)} ${key}`);
    say(`泉秀村红黑榜 (public board): ${base}/public/boards/${facts.tour.villageCode}/${facts.tour.boardPeriod}`);
    say(`泉秀村孝善信用评级公示 (public grades): ${base}/public/grades/${facts.tour.villageCode}`);
    say(`导览 (guided tour): 另开一个终端运行 npm run tour`);
  } else if (config.demo) {
    say(`演示县已存在，但找不到 ${config.dataDir}/demo-keys.json 中的密钥。`);
  }
  say('按 Ctrl-C 停止服务 (Ctrl-C to stop)。');

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
