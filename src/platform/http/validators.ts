import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsObject, IsString, Matches, ValidateBy, ValidateIf, ValidateNested, ValidationOptions } from 'class-validator';

/**
 * Field validators shared by every DTO, so that a kind of value is checked the
 * same way everywhere. A unit test walks class-validator's metadata and fails
 * when a nested object is declared without `Nested` (an absent or non-object
 * value would otherwise pass validation and reach the service).
 */

/** A county (6 digits), township (9) or village (12) code. */
export const REGION_CODE = /^(\d{6}|\d{9}|\d{12})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether `d` is YYYY-MM-DD naming a day of the (proleptic Gregorian) calendar. By arithmetic: the CSV import runs it for every line. */
export function isCalendarDate(d: unknown): d is string {
  if (typeof d !== 'string' || d.length !== 10 || !/^\d{4}-\d{2}-\d{2}$/.test(d)) return false;
  const year = Number(d.slice(0, 4));
  const month = Number(d.slice(5, 7));
  const day = Number(d.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** A business date, YYYY-MM-DD, that exists in the calendar (2026-02-30 does not). */
export function IsBusinessDate(options: ValidationOptions = {}) {
  return ValidateBy(
    {
      name: 'isBusinessDate',
      validator: {
        validate: (v: unknown) => isCalendarDate(v),
        defaultMessage: (a) =>
          typeof a?.value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(a.value)
            ? `${a.property} ${a.value} is not a day of the calendar`
            : `${a?.property} must be a date YYYY-MM-DD`,
      },
    },
    options,
  );
}

const DECIMAL_RE = /^-?(0|[1-9]\d*)(\.\d+)?$/;

export interface DecimalRule {
  /** Digits before the point (default 12). */
  integerDigits?: number;
  /** Digits after the point (default 6). */
  scale?: number;
  /** Allow a leading minus. */
  signed?: boolean;
  /** Refuse zero (rates, prices, points an item gives). */
  positive?: boolean;
  /** The largest value allowed, as a decimal string. */
  max?: string;
}

/** Why `v` is not a decimal string under `rule`, or null when it is. By string inspection: no float ever sees it. */
export function decimalProblem(v: unknown, rule: DecimalRule = {}): string | null {
  const { integerDigits = 12, scale = 6, signed = false, positive = false } = rule;
  if (typeof v !== 'string' || !DECIMAL_RE.test(v)) return 'must be a decimal string such as "12.50"';
  const negative = v.startsWith('-');
  if (negative && !signed) return 'must not be negative';
  const [int, frac = ''] = (negative ? v.slice(1) : v).split('.');
  if (int.length > integerDigits) return `must have at most ${integerDigits} digits before the point`;
  if (frac.length > scale) return `must have at most ${scale} decimals`;
  if (positive && (negative || /^0*$/.test(int + frac))) return 'must be greater than zero';
  if (rule.max !== undefined && !negative && compareUnsigned(int, frac, rule.max) > 0) return `must be at most ${rule.max}`;
  return null;
}

function compareUnsigned(int: string, frac: string, max: string): number {
  const [mi, mf = ''] = max.split('.');
  const a = int.replace(/^0+(?=\d)/, '');
  const b = mi.replace(/^0+(?=\d)/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  if (a !== b) return a < b ? -1 : 1;
  const width = Math.max(frac.length, mf.length);
  const x = frac.padEnd(width, '0');
  const y = mf.padEnd(width, '0');
  return x === y ? 0 : x < y ? -1 : 1;
}

/** A decimal string (amounts, points, rates are never JSON numbers). */
export function IsDecimalString(rule: DecimalRule = {}, options: ValidationOptions = {}) {
  return ValidateBy(
    {
      name: 'isDecimalString',
      validator: {
        validate: (v: unknown) => decimalProblem(v, rule) === null,
        defaultMessage: (a) => `${a?.property} ${decimalProblem(a?.value, rule) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/**
 * A nested object (or, with `each`, an array of them) validated as `type`.
 * Absent, null, a string, a number or an array where an object belongs is a
 * 400 naming the field; `@IsOptional()` before it makes it optional.
 */
export function Nested(type: () => new (...args: never[]) => object, options: { each?: boolean } = {}) {
  const each = options.each ?? false;
  return applyDecorators(
    IsObject({ each, message: each ? '$property must be a list of objects' : '$property must be an object' }),
    ValidateNested({ each }),
    Type(type),
  );
}

/** A string matched against a pattern, with the message the API gives for it. */
export const IsPattern = (re: RegExp, message: string) => applyDecorators(IsString({ message }), Matches(re, { message }));

/**
 * Optional means absent. The field may be left out, but a null is a value like
 * any other and must pass the field's checks (class-validator's own IsOptional
 * waves null through, and services then read a field of null: a 500). A spec
 * checks that no DTO uses class-validator's.
 */
export const IsOptional = (options?: ValidationOptions) => ValidateIf((_object: unknown, value: unknown) => value !== undefined, options);
