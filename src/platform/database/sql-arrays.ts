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
    let out = '{';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out += (i ? ',' : '') + (v === null || v === undefined ? 'NULL' : v);
    }
    return out + '}';
  },
  quoted(values: readonly (string | null | undefined)[]): string {
    let out = '{';
    for (let i = 0; i < values.length; i++) out += (i ? ',' : '') + quote(values[i]);
    return out + '}';
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
      let out = '{';
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i][c];
        const text = v === null || v === undefined ? null : String(v);
        out += (i ? ',' : '') + (kind === 'bare' ? (text ?? 'NULL') : quote(text));
      }
      return out + '}';
    });
  },
  bytea(values: readonly Buffer[]): string {
    let out = '{';
    for (let i = 0; i < values.length; i++) out += `${i ? ',' : ''}"\\\\x${values[i].toString('hex')}"`;
    return out + '}';
  },
};

const NEEDS_ESCAPE = /[\\"]/;

/** One quoted array element; most text has nothing to escape, so the replace is skipped. */
function quote(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  return NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
}
