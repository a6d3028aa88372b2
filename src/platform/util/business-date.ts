/**
 * Business days are Asia/Shanghai calendar days (UTC+8, no daylight saving),
 * written YYYY-MM-DD.
 */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** The business day (Asia/Shanghai) of an instant as a number of days since 1970-01-01: ordered as the days are. */
export const businessDayNumber = (d: Date): number => Math.floor((d.getTime() + SHANGHAI_OFFSET_MS) / 86_400_000);

export const shanghaiDate = (d: Date): string => new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);

export const shanghaiToday = (): string => shanghaiDate(new Date());

/** A business day `days` after (or before, if negative) `date`. */
export const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86400_000).toISOString().slice(0, 10);
