/**
 * Rows to column arrays, for set-based writes of the form
 * `INSERT … SELECT * FROM unnest($1::uuid[], $2::text[], …)`: one statement
 * and one round trip for any number of rows.
 */
export function columns(rows: readonly unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array(rows.length));
  rows.forEach((r, i) => {
    for (let c = 0; c < width; c++) out[c][i] = r[c];
  });
  return out;
}

/**
 * PostgreSQL array literals built directly, for the hot write path: node-pg
 * would quote and escape every element of every array parameter and format
 * each Date in local time. Pass the result as a text parameter cast to the
 * array type (`$1::uuid[]`).
 *
 * `bare` is for elements that never need quoting in an array literal: UUIDs,
 * integers, plain decimals and ISO-8601 timestamps (no braces, commas,
 * quotes, backslashes or spaces). Anything else goes through `quoted`.
 */
export const arrayLiteral = {
  bare(values: readonly (string | null | undefined)[]): string {
    const parts = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      parts[i] = v === null || v === undefined ? 'NULL' : v;
    }
    return literal(parts);
  },
  quoted(values: readonly (string | null | undefined)[]): string {
    const parts = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) parts[i] = quote(values[i]);
    return literal(parts);
  },
  timestamps(values: readonly (Date | null | undefined)[]): string {
    return arrayLiteral.bare(values.map((d) => (d ? d.toISOString() : null)));
  },
  /**
   * Rows to one array literal per column (as `columns`, for the hot paths):
   * `kinds[c]` says whether column c is bare or quoted. Numbers and booleans
   * are written as PostgreSQL reads them; null and undefined as NULL.
   */
  columns(rows: readonly unknown[][], kinds: readonly ('bare' | 'quoted')[]): string[] {
    return kinds.map((kind, c) => {
      const parts = new Array<string>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i][c];
        const text = v === null || v === undefined ? null : String(v);
        parts[i] = kind === 'bare' ? (text ?? 'NULL') : quote(text);
      }
      return literal(parts);
    });
  },
  bytea(values: readonly Buffer[]): string {
    const parts = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) parts[i] = `"\\\\x${values[i].toString('hex')}"`;
    return literal(parts);
  },
};

/**
 * `{a,b,…}` from its elements, made flat in one step by join: appending
 * element by element built a tree of thousands of string pieces per column,
 * which lived (and was copied by the young-generation collector) until
 * node-pg flattened it on sending, a chunk later when the connection is busy.
 */
function literal(parts: string[]): string {
  if (!parts.length) return '{}';
  // The braces go on the end elements, so the result is join's one flat string (not a brace, it, and a brace).
  parts[0] = '{' + parts[0];
  parts[parts.length - 1] += '}';
  return parts.join(',');
}

const NEEDS_ESCAPE = /[\\"]/;

/** One quoted array element; most text has nothing to escape, so the replace is skipped. */
function quote(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  return NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
}
