import fc from 'fast-check';
import * as iconv from 'iconv-lite';

/**
 * Malformed requests generated from the OpenAPI document: for each operation,
 * a plausible request (path, query and body built from its schemas, with real
 * ids where the fixture has them) that one or more mutations then break. Used
 * by test/e2e/fuzz.e2e.spec.ts; new operations are covered by being in the document.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

export interface Operation {
  method: string;
  path: string;
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  'x-roles'?: string[];
  'x-platform'?: boolean;
}

export interface Doc {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
  components: { schemas: Record<string, Schema> };
}

export interface FuzzRequest {
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  /** What goes on the wire: raw bytes, or nothing. */
  body?: Buffer;
  /** What was done to it, for the failure message. */
  mutations: string[];
}

/** Values the fixture knows to be valid, by field or parameter name. */
export type Hints = (name: string) => fc.Arbitrary<unknown> | undefined;

export function operations(doc: Doc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ ...op, method, path })));
}

const resolve = (doc: Doc, s: Schema | undefined): Schema => {
  if (!s) return {};
  if (s.$ref) return doc.components.schemas[s.$ref.split('/').pop()!] ?? {};
  return s;
};

/** A value the schema describes (often valid; hints make the ids and dates real). */
export function valueOf(doc: Doc, name: string, schema: Schema | undefined, hints: Hints, depth = 0): fc.Arbitrary<unknown> {
  const hinted = hints(name);
  if (hinted) return hinted;
  const s = resolve(doc, schema);
  if (s.oneOf?.length) return fc.oneof(...s.oneOf.map((x) => valueOf(doc, name, x, hints, depth + 1)));
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  if (depth > 6) return fc.constant(null);
  switch (s.type) {
    case 'object': {
      if (!s.properties) return fc.dictionary(fc.stringMatching(/^[A-Z]{2,6}$/), fc.constantFrom('1', '0.5'), { maxKeys: 2 });
      const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, valueOf(doc, k, v, hints, depth + 1)]));
      return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    case 'array':
      return fc.array(valueOf(doc, name, s.items, hints, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) });
    case 'string':
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= 200);
      if (s.format === 'uuid') return fc.uuid();
      if (s.format === 'date-time') return fc.date({ min: new Date('2024-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ maxLength: Math.min(s.maxLength ?? 30, 30) });
    case 'number':
    case 'integer':
      return fc.integer({ min: s.minimum ?? -5, max: Math.min(s.maximum ?? 1000, 100000) });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null));
  }
}

/** Values of the wrong kind, or of the right kind and wrong content. */
const HOSTILE: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<unknown>(
    null, 0, -1, 1.5, 1e308, -1e308, true, false, [], {}, '', ' ', '0', '-1', '0.0', '-0.01', '1e3', 'NaN', 'Infinity',
    '2026-02-30', '2025-02-29', '2026-13-01', '2026-1-1', '26-01-01', '2026-01-01T00:00:00Z', '9999-12-31', '0000-01-01',
    '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'not-a-uuid', '１２３', '\u0000', 'a\u0000b',
    '\ud800', '<script>alert(1)</script>', "'; DROP TABLE records; --", '%00', '../../etc/passwd', '𠮷𠮷𠮷', '\u202e', 'R01'.repeat(50),
    [null], [[]], [{}], { type: 'household' }, { id: 'x' }, { type: 'household', id: '00000000-0000-4000-8000-000000000000' },
  ) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 120_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => '9'.repeat(n * 4)) },
  { weight: 1, arbitrary: fc.array(fc.constant(1), { minLength: 1000, maxLength: 20_000 }) },
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths to every value inside `v` (the root is []). */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function setAt(root: Json, at: (string | number)[], value: Json | undefined): Json {
  if (!at.length) return value === undefined ? null : value;
  const copy: Json = JSON.parse(JSON.stringify(root));
  let parent: any = copy;
  for (const k of at.slice(0, -1)) parent = parent[k];
  const last = at[at.length - 1];
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy;
}

const getAt = (root: Json, at: (string | number)[]): Json => at.reduce<any>((v, k) => v?.[k], root);

/** One mutation of a JSON body, described. */
export const jsonMutation: fc.Arbitrary<(body: Json) => { body: Json; raw?: string; what: string }> = fc.oneof(
  fc.nat().map((i) => (b: Json) => {
    const ps = paths(b).filter((p) => p.length);
    if (!ps.length) return { body: b, what: 'nothing to drop' };
    const p = ps[i % ps.length];
    return { body: setAt(b, p, undefined), what: `dropped ${p.join('.')}` };
  }),
  fc.tuple(fc.nat(), HOSTILE).map(([i, v]) => (b: Json) => {
    const ps = paths(b);
    const p = ps[i % ps.length];
    return { body: setAt(b, p, v as Json), what: `${p.join('.') || 'body'} := ${JSON.stringify(v)?.slice(0, 60)}` };
  }),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, asArray]) => (b: Json) => {
    const ps = paths(b).filter((p) => p.length);
    if (!ps.length) return { body: [b], what: 'body wrapped in an array' };
    const p = ps[i % ps.length];
    const v = getAt(b, p);
    return { body: setAt(b, p, asArray ? [v] : { value: v }), what: `${p.join('.')} wrapped in ${asArray ? 'an array' : 'an object'}` };
  }),
  fc.tuple(fc.nat(), fc.constantFrom('__proto__', 'constructor', 'prototype', '\\u005f_proto__'), fc.nat()).map(([i, key, j]) => (b: Json) => {
    // Written into the JSON text itself: JSON.stringify would drop or mangle these keys.
    const text = JSON.stringify(b);
    const objects = [...text.matchAll(/\{/g)].map((m) => m.index!);
    if (!objects.length) return { body: b, what: 'no object to pollute' };
    const at = objects[i % objects.length];
    const payload = j % 2 ? `{"prototype":{"isAdmin":true,"holder":{"type":"household","id":"00000000-0000-4000-8000-000000000000"}}}` : `{"isAdmin":true,"status":"posted"}`;
    const inner = text[at + 1] === '}' ? '' : ',';
    return { body: b, raw: `${text.slice(0, at + 1)}"${key}":${payload}${inner}${text.slice(at + 1)}`, what: `pollution key ${key}` };
  }),
  fc.nat().map((i) => (b: Json) => {
    const ps = paths(b).filter((p) => p.length === 0 || (getAt(b, p) !== null && typeof getAt(b, p) === 'object' && !Array.isArray(getAt(b, p))));
    const p = ps[i % ps.length] ?? [];
    const target = getAt(b, p);
    if (!target || typeof target !== 'object' || Array.isArray(target)) return { body: b, what: 'no object for an unknown field' };
    return { body: setAt(b, [...p, 'unexpectedField'], 1), what: `unknown field at ${p.join('.') || 'body'}` };
  }),
);

/** A body that is not the JSON it claims to be, or not JSON at all. */
export const brokenBody: fc.Arbitrary<{ type?: string; body: Buffer; what: string }> = fc.oneof(
  fc.constantFrom('{', '{"a":', '{"a":1,}', "{'a':1}", '[1,2', 'nul', 'null', '"text"', '12', 'true', '{"a":1}{"b":2}', '\u0000', '{"a":"\\ud800"}', '{"a":1e999}', '{"a":-0}')
    .map((t) => ({ type: 'application/json', body: Buffer.from(t), what: `JSON text ${JSON.stringify(t)}` })),
  fc.integer({ min: 200, max: 4000 }).map((n) => ({ type: 'application/json', body: Buffer.from('['.repeat(n) + ']'.repeat(n)), what: `${n} nested arrays` })),
  fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin9', 'application/json; charset=utf-16', 'image/png', '')
    .map((type) => ({ type: type || undefined, body: Buffer.from('{"a":1}'), what: `content type "${type}"` })),
  fc.constant({ type: 'application/json', body: Buffer.from(`{"note":"${'x'.repeat(1_100_000)}"}`), what: 'a body over the 1 MB limit' }),
);

/** Broken, hostile and merely odd CSV files for an import. */
export function brokenCsv(header: string, goodLine: fc.Arbitrary<string>): fc.Arbitrary<{ body: Buffer; type: string; what: string }> {
  const cell = fc.oneof(
    fc.constantFrom('', '"', '""', '"unclosed', 'a"b', '"a""b"', '\u0000', 'x\u0000y', '=cmd|calc', '2026-02-30', '-1', '0', '１', 'R01', 'household', 'person', '\ud83d'),
    fc.string({ maxLength: 20 }),
    fc.integer({ min: 1000, max: 70_000 }).map((n) => 'x'.repeat(n)),
  );
  const line = fc.oneof(goodLine, fc.array(cell, { minLength: 0, maxLength: 8 }).map((cs) => cs.join(',')));
  const text = fc.tuple(fc.constantFrom(header, '', header.toUpperCase(), header.split(',').reverse().join(','), `\uFEFF${header}`), fc.array(line, { maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([h, ls, nl]) => [h, ...ls].join(nl));
  return fc.oneof(
    text.map((t) => ({ body: Buffer.from(t, 'utf8'), type: 'text/csv', what: `CSV ${JSON.stringify(t.slice(0, 120))}` })),
    text.map((t) => ({ body: iconv.encode(t, 'gbk'), type: 'text/csv', what: 'CSV in GBK' })),
    text.map((t) => ({ body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]), type: 'text/csv', what: 'CSV in UTF-16 with a BOM' })),
    text.map((t) => ({ body: Buffer.from(t, 'utf8'), type: 'text/csv; charset=klingon', what: 'CSV with an unknown charset' })),
    text.map((t) => ({ body: Buffer.from(t, 'utf8'), type: 'text/plain', what: 'CSV sent as text/plain' })),
    fc.uint8Array({ minLength: 1, maxLength: 5000 }).map((b) => ({ body: Buffer.from(b), type: 'text/csv', what: 'binary bytes' })),
    fc.integer({ min: 1000, max: 5000 }).map((n) => ({ body: Buffer.from(`${header}\n${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n`), type: 'text/csv', what: `${n} columns` })),
  );
}

/** Query values that are wrong for most parameters. */
export const hostileQueryValue = fc.constantFrom(
  '', ' ', 'x', '-1', '0', '1.5', '1e309', 'NaN', 'true', '2026-02-30', '2026-13-01', '%00', '\u0000', 'null', 'undefined', '[]', '{}',
  'x'.repeat(5000), '00000000-0000-0000-0000-000000000000', '1'.repeat(30), '２０２６-01-01', 'R01', 'household', '../..',
);

/** Path segments that name nothing, or try to escape. */
export const hostilePathValue = fc.constantFrom(
  'x', '0', '-1', 'null', '%2e%2e', '..', '%00', 'a'.repeat(300), '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', '%E4%B8%AD', '１', '%20', 'undefined',
);

/**
 * The structural cases of a JSON body, every one of them: each field at each
 * depth dropped, null, of the wrong kind, and wrapped in an array. Random runs
 * find these only by luck; a DTO that forgets a check at one depth is found
 * here on the first run.
 */
export function structuralMutations(body: unknown): { body: unknown; what: string }[] {
  const out: { body: unknown; what: string }[] = [];
  for (const p of paths(body as Json).filter((x) => x.length)) {
    const v = getAt(body as Json, p);
    const name = p.join('.');
    const wrongKind: Json = v === null ? 'x' : Array.isArray(v) ? { value: 1 } : typeof v === 'object' ? 'x' : typeof v === 'string' ? 7 : 'x';
    out.push({ body: setAt(body as Json, p, undefined), what: `dropped ${name}` });
    out.push({ body: setAt(body as Json, p, null), what: `${name} := null` });
    out.push({ body: setAt(body as Json, p, wrongKind), what: `${name} := ${JSON.stringify(wrongKind)}` });
    out.push({ body: setAt(body as Json, p, [v]), what: `${name} wrapped in an array` });
  }
  return out;
}
