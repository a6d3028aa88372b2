import Decimal from 'decimal.js';
import type { ValueTransformer } from 'typeorm';

/** numeric <-> Decimal. pg returns numeric as a string, so no float is involved. */
export const decimalTransformer: ValueTransformer = {
  to: (value: Decimal | string | null | undefined) => (value == null ? value : new Decimal(value).toFixed()),
  from: (value: string | null) => (value == null ? value : new Decimal(value)),
};
