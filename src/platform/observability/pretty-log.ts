import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '\x1b[90m', 20: '\x1b[90m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[41m' };
const RESET = '\x1b[0m';
const QUIET = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'context', 'req', 'res', 'responseTime', 'err', 'stack']);

const clock = (ms: number) => {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

const show = (v: unknown) => (typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v));

/** One JSON log line as a person reads it: `07:20:11 INFO  [RecordsImport] 导入进度… reqId=…`. */
export function prettyLine(json: string, colour: boolean): string {
  let o: Record<string, any>;
  try {
    o = JSON.parse(json);
  } catch {
    return json.trimEnd();
  }
  const level = Number(o.level);
  const head = `${clock(Number(o.time) || Date.now())} ${colour ? COLOURS[level] ?? '' : ''}${LEVELS[level] ?? String(o.level)}${colour ? RESET : ''}`;
  const parts = [head];
  if (o.context) parts.push(`[${o.context}]`);
  if (o.req && o.res) parts.push(`${o.req.method} ${o.req.url} → ${o.res.statusCode} ${o.responseTime ?? '?'} ms${o.msg === 'request aborted' ? '（客户端已断开）' : ''}`);
  else if (o.msg !== undefined) parts.push(String(o.msg));
  const extra = Object.entries(o).filter(([k]) => !QUIET.has(k)).map(([k, v]) => `${k}=${show(v)}`);
  if (extra.length) parts.push(colour ? `\x1b[90m${extra.join(' ')}${RESET}` : extra.join(' '));
  let out = parts.join(' ');
  const stack = o.err?.stack ?? o.stack;
  if (stack) out += `\n${String(stack).replace(/^/gm, '    ')}`;
  return out;
}

/** A pino destination that writes each line human-readable to `out` (a terminal). */
export function prettyDestination(out: NodeJS.WriteStream = process.stdout): DestinationStream {
  const colour = Boolean(out.isTTY) && !process.env.NO_COLOR;
  return { write: (line: string) => void out.write(`${prettyLine(line, colour)}\n`) };
}
