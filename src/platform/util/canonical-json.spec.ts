import fc from 'fast-check';
import { canonicalJson } from './canonical-json';

/** The definition, written the plain way: sorted keys, undefined members left out, everything else as JSON.stringify. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`)
    .join(',')}}`;
}

const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('a', 'B', 'é', '孝', '10', '9', '__proto__x', ''));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.double({ noNaN: false }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 24 }), // past the insertion-sort limit too
  ),
})).value;

describe('canonicalJson', () => {
  it('equals the plain definition for any value, with any keys (integer-like, non-ASCII, many)', () => {
    fc.assert(fc.property(json, (v) => canonicalJson(v) === reference(v)), { numRuns: 3000 });
  });

  it('orders keys by code unit, leaves out undefined members and writes undefined array elements as null', () => {
    expect(canonicalJson({ b: 1, a: undefined, 孝: [undefined, 2], B: { z: null, y: 'x' } })).toBe('{"B":{"y":"x","z":null},"b":1,"孝":[null,2]}');
  });
});
