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
