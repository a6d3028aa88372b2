import fc from 'fast-check';
import { checkJsonBody, jsonDepth, MAX_JSON_DEPTH } from './body-parsing';

/** The depth by the definition: parse, then walk. */
const reference = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(reference)) : 0);

describe('jsonDepth', () => {
  it('counts nesting, not brackets inside strings or after escapes', () => {
    expect(jsonDepth(Buffer.from('{"a":[1,{"b":"[[[{{{"}]}'), 99)).toBe(3);
    expect(jsonDepth(Buffer.from('{"a":"\\"[[["}'), 99)).toBe(1);
    expect(jsonDepth(Buffer.from('12'), 99)).toBe(0);
  });

  it('agrees with a walk of the parsed value for any JSON', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => jsonDepth(Buffer.from(JSON.stringify(v)), 99) === reference(v)), { numRuns: 2000 });
  });
});

describe('checkJsonBody', () => {
  const check = (text: string) => () => checkJsonBody(undefined, undefined, Buffer.from(text));
  it('refuses nesting past the limit and pollution keys at any depth, however spelled', () => {
    expect(check(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)).toThrow(/nests deeper/);
    expect(check(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).not.toThrow();
    for (const key of ['__proto__', 'constructor', 'prototype', '\\u005f_proto__', 'c\\u006fnstructor']) {
      expect(check(`{"a":{"b":[{"${key}":{"x":1}}]}}`)).toThrow(/is not allowed/);
    }
  });
  it('lets through values that only mention those words, and leaves malformed JSON to the parser', () => {
    expect(check('{"note":"__proto__ constructor prototype \\u4e2d"}')).not.toThrow();
    expect(check('{"a":')).not.toThrow();
  });

  it('refuses half a surrogate pair anywhere, as a key or a value at any depth, and lets every well-formed text through', () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));
    // Any JSON value with a lone surrogate put into one of its strings (JSON.stringify writes it as \uXXXX).
    const withLone = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.string(), lone, fc.boolean()).map(([v, s, u, asKey]) => (asKey ? { [`${s}${u}`]: v } : { a: [v, { b: `${s}${u}` }] }));
    fc.assert(fc.property(withLone, (v) => {
      expect(check(JSON.stringify(v))).toThrow(/surrogate|is not allowed/); // (the generated value may hold a pollution key too)
    }), { numRuns: 500 });
    const wellFormed = fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }).filter((v) => !/__proto__|constructor|prototype/.test(JSON.stringify(v)));
    fc.assert(fc.property(wellFormed, (v) => {
      expect(check(JSON.stringify(v))).not.toThrow();
    }), { numRuns: 1000 });
    expect(check('{"name":"\\ud83d\\ude00 \\u4e2d"}')).not.toThrow(); // a pair, escaped
  });
});
