import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'http';
import type { Logger as Pino } from 'pino';
import { createApp } from './app.factory';
import { DemoFacts, DemoLoader } from './demo/demo-loader';
import { ConfigError, parseEnv } from './platform/config/app-config';
import { EmbeddedServerRunning } from './platform/embedded/embedded-postgres';
import { resolveRuntime } from './platform/embedded/runtime';
import { allAnswered, requestsInFlight, startDraining } from './platform/http/foreground';
import { ROOT_LOGGER } from './platform/observability/logging.module';
import { currentRequestId } from './platform/observability/request-context';

// Console lines here are for the person who ran `npm start`, so they are Chinese.
const say = (line: string) => process.stdout.write(`[jifen] ${line}\n`);

export interface ServeHooks {
  /** Called with the application before its routes are mounted (the process tests add one here). */
  beforeInit?: (app: NestExpressApplication) => void;
}

/**
 * The service as a process: configuration, the embedded PostgreSQL if no
 * DATABASE_URL, the app, the demo; then signals and crashes.
 *
 * - SIGTERM / SIGINT: no new connections; a request on a connection left open
 *   gets 503 and the connection closes; requests in flight finish, for up to
 *   SHUTDOWN_GRACE_MS; then the app closes (jobs stop, group-commit batches
 *   drain, pools close) and an embedded server stops. Exit 0.
 * - An unhandled rejection or exception is logged (fatal, with the id of the
 *   request it escaped from) and ends the process with exit code 1, so that a
 *   supervisor restarts it: after one, nothing about the process can be trusted.
 *   An embedded server left behind is cleaned up by the next start.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env, hooks: ServeHooks = {}): Promise<void> {
  let vars;
  try {
    vars = parseEnv(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const { config, embedded } = await resolveRuntime(vars, say);
  let app: NestExpressApplication;
  let facts: DemoFacts | null = null;
  try {
    app = await createApp(config);
    hooks.beforeInit?.(app);
    await app.init();
    installCrashHandlers(app.get<Pino>(ROOT_LOGGER));
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
    if (facts.users) {
      say(`演示县的用户（在 ${base}/console 用手机号和密码登录）/ demo users, one per role:`);
      for (const [role, u] of Object.entries(facts.users)) say(`  ${role.padEnd(10)} ${u.name}　手机号 ${u.phone}　密码 ${u.password}`);
    }
    say('演示县的 API 密钥（给机器用：银行系统、收银机、脚本；Authorization: Bearer <密钥>）/ demo API keys, one per role:');
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
    say(`收到 ${signal}，正在停止：不再接受新请求，等待 ${requestsInFlight()} 个进行中的请求完成…`);
    // The last resort, should closing itself hang.
    const force = setTimeout(() => {
      say('停止超时，强制退出 (shutdown timed out)。');
      process.exit(1);
    }, config.shutdownGraceMs + 30_000);
    force.unref();
    const server = app.getHttpServer() as Server;
    startDraining();
    server.close();
    server.closeIdleConnections();
    const finished = await allAnswered(config.shutdownGraceMs);
    if (!finished) say(`仍有 ${requestsInFlight()} 个请求未完成，已等待 ${config.shutdownGraceMs} ms，断开它们。`);
    server.closeAllConnections();
    try {
      await app.close();
    } finally {
      await embedded?.stop();
      say('已停止。');
      process.exit(0);
    }
  };
  // Shutdown is ours rather than Nest's hooks: requests drain first, then the
  // app closes (jobs, batches, the pool), then the embedded server stops.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** A crash is logged with the request it escaped from, then ends the process (exit 1). Never swallowed. */
export function installCrashHandlers(logger: Pino): void {
  const crash = (kind: string) => (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    logger.fatal({ reqId: currentRequestId(), err }, `${kind}: the process stops so that it can be restarted clean`);
    process.stderr.write(`[jifen] ${kind}${currentRequestId() ? ` (request ${currentRequestId()})` : ''}: ${err.stack ?? err.message}\n`);
    process.exit(1);
  };
  process.on('unhandledRejection', crash('unhandled rejection'));
  process.on('uncaughtException', crash('uncaught exception'));
}

export function reportStartFailure(e: unknown): never {
  if (e instanceof EmbeddedServerRunning) {
    process.stderr.write(`jifen 已在运行（内置数据库端口 ${e.port}）。请先停止另一个进程，或设置另一个 DATA_DIR。\n`);
    process.exit(1);
  }
  process.stderr.write(`启动失败: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
