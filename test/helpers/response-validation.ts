import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { appendFileSync, mkdirSync } from 'fs';
import * as path from 'path';
import type { NextFunction, Request, Response } from 'express';

type Schema = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>>; components?: { schemas?: Record<string, Schema> } };

/** Largest body captured for checking; anything longer (exports, big pages) is checked for status and media type only. */
const MAX_BODY = 1 << 20;

/** A JSON schema that says what the body holds: a reference, an object's properties, an array's items, or a combination. */
export const isTyped = (s: Schema | undefined): boolean => Boolean(s && (s.$ref || s.properties || s.items || s.allOf || s.oneOf || s.anyOf));

/**
 * OpenAPI 3.0 schema to JSON Schema as Ajv reads it: `nullable` becomes a
 * null type, references point into the document's components, and an object
 * that lists its properties allows no others (a field the document does not
 * describe is a finding, not a detail).
 */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s as Schema)) {
    if (k === 'nullable' || k === 'example' || k === 'examples') continue;
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'openapi#/components/schemas/') : toJsonSchema(v);
  }
  const src = s as Schema;
  if (src.nullable === true) {
    // A nullable reference (`nullable, type: object, allOf: [$ref]`): the reference, or null.
    if (out.$ref || out.allOf || out.oneOf) {
      const { type: _type, ...rest } = out;
      return { anyOf: [rest, { type: 'null' }] };
    }
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/**
 * Every response the e2e suite receives, checked against the live OpenAPI
 * document (issue 22): its operation and status must be in the document, its
 * media type declared, a JSON body must have a schema that names its fields
 * (a response class), and the body must match it (required fields present, no
 * field the document does not allow); a body where the document declares no
 * content is a finding too.
 * Installed by startTestApp as the first middleware; findings fail the test
 * file when its app closes. Each checked operation and status is appended to
 * test/artifacts/response-validation/ for the count the closing note reports.
 */
export class ResponseValidation {
  private doc: Doc | null = null;
  private ajv: Ajv | null = null;
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly findings = new Set<string>();
  private readonly seen = new Set<string>();

  setDocument(doc: Doc): void {
    this.doc = doc;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: toJsonSchema(doc.components ?? {}) } as Schema);
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const write = res.write.bind(res) as (...a: unknown[]) => boolean;
      const end = res.end.bind(res) as (...a: unknown[]) => Response;
      const keep = (chunk: unknown) => {
        if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        size += b.length;
        if (size <= MAX_BODY) chunks.push(b);
      };
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        keep(chunk);
        return write(chunk, ...rest);
      }) as Response['write'];
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        keep(chunk);
        return end(chunk, ...rest);
      }) as Response['end'];
      res.on('finish', () => {
        const route = (req as Request & { route?: { path?: string } }).route?.path;
        if (!this.doc || !route) return; // no route matched (a 404 of an unknown path), or before the document is known
        this.check(req.method, route, res.statusCode, String(res.getHeader('content-type') ?? ''), size <= MAX_BODY ? Buffer.concat(chunks) : null);
      });
      next();
    };
  }

  private check(method: string, route: string, status: number, contentType: string, body: Buffer | null): void {
    const p = route.replace(/:(\w+)/g, '{$1}');
    // The console's own page and session (@ApiExcludeController): the service's UI, not its API.
    if (p === '/console' || p.startsWith('/console/')) return;
    const m = method.toLowerCase();
    const op = this.doc!.paths[p]?.[m];
    if (!op) return void this.findings.add(`${method} ${p}: served but not in the document`);
    const responses = op.responses ?? {};
    // A conditional GET answered "not modified" (the browser sent the ETag of an earlier 200): HTTP's, not the operation's.
    if (status === 304 && m === 'get' && responses['200']) return this.record(`${method} ${p} 304 (not modified)`);
    const declared = responses[String(status)] ? String(status) : responses[`${String(status)[0]}XX`] ? `${String(status)[0]}XX` : responses.default ? 'default' : null;
    if (!declared) return void this.findings.add(`${method} ${p} ${status}: status not in the document (declared: ${Object.keys(responses).join(', ')})`);
    const r = responses[declared];
    const pair = `${method} ${p} ${status}`;
    if (!r.content) {
      if (body && body.length > 0) return void this.findings.add(`${pair}: answers a body (${contentType || 'no media type'}) but the document declares none`);
      return this.record(`${pair} (no content)`);
    }
    const media = contentType.split(';')[0].trim().toLowerCase();
    if (!media && (!body || body.length === 0)) return this.record(`${pair} (no body)`);
    const c = r.content[media];
    if (!c) return void this.findings.add(`${pair}: media type ${media || '(none)'} not declared (${Object.keys(r.content).join(', ')})`);
    const json = /^application\/(.+\+)?json$/.test(media);
    if (json && !isTyped(c.schema)) return void this.findings.add(`${pair}: ${media} without a schema that names its fields (give the handler a response class)`);
    if (!json || body === null) return this.record(`${pair} ${media}`);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return void this.findings.add(`${pair}: ${media} body is not JSON`);
    }
    const key = `${m} ${p} ${declared} ${media}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv!.compile(toJsonSchema(c.schema) as Schema);
      this.compiled.set(key, validate);
    }
    if (!validate(value)) {
      const why = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
      return void this.findings.add(`${pair}: body does not match the document: ${why.join('; ')}`);
    }
    this.record(`${pair} ${media} (schema)`);
  }

  private record(line: string): void {
    if (this.seen.has(line)) return;
    this.seen.add(line);
    const dir = path.join(__dirname, '..', 'artifacts', 'response-validation');
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, `worker-${process.env.JEST_WORKER_ID ?? '1'}.txt`), `${line}\n`);
  }
}
