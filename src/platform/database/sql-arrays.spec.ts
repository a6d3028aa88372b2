import { arrayLiteral } from './sql-arrays';

describe('arrayLiteral', () => {
  it('writes bare elements as they are and null as NULL', () => {
    expect(arrayLiteral.bare(['1', null, '2.50'])).toBe('{1,NULL,2.50}');
    expect(arrayLiteral.bare([])).toBe('{}');
  });
  it('quotes text, escaping quotes and backslashes', () => {
    expect(arrayLiteral.quoted(['a b', 'say "hi"', 'c:\\x', null, '{,}', '孝善'])).toBe('{"a b","say \\"hi\\"","c:\\\\x",NULL,"{,}","孝善"}');
  });
  it('turns rows into one literal per column', () => {
    expect(arrayLiteral.columns([[1, 'a"b', true, null], [2, 'c', false, 'x']], ['bare', 'quoted', 'bare', 'quoted'])).toEqual(['{1,2}', '{"a\\"b","c"}', '{true,false}', '{NULL,"x"}']);
  });
  it('writes timestamps in UTC ISO form and bytea in hex form', () => {
    expect(arrayLiteral.timestamps([new Date(Date.UTC(2026, 10, 23, 1, 2, 3, 4)), null])).toBe('{2026-11-23T01:02:03.004Z,NULL}');
    expect(arrayLiteral.bytea([Buffer.from([0, 255])])).toBe('{"\\\\x00ff"}');
  });
});
