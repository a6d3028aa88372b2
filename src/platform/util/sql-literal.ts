/**
 * A SQL string literal, for the few statements that cannot take parameters
 * (COPY, SET TRANSACTION SNAPSHOT, SQL generated from a scorecard). Callers
 * validate the value first; this quotes it correctly whatever it is.
 */
export const sqlLiteral = (v: string): string => `'${v.replace(/'/g, "''")}'`;
