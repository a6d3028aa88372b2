import { readFileSync } from 'fs';
import * as path from 'path';
import { problemCodes, problemCodesTable, TABLE_END, TABLE_START } from '../../scripts/lib/problem-codes';

/** docs/errors.md lists every problem code the code can answer with, as the code says (issue 22). */
describe('docs/errors.md', () => {
  it('has the table of problem codes the source yields (run npm run docs:codes after adding one)', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    const table = doc.slice(doc.indexOf(TABLE_START) + TABLE_START.length, doc.indexOf(TABLE_END)).trim();
    expect(table).toBe(problemCodesTable());
  });

  it('finds the codes of each kind of error (class defaults, explicit codes, problem(), the ledger table)', () => {
    const codes = new Map(problemCodes().map((c) => [c.code, c.status]));
    expect(codes.get('validation-failed')).toBe(400);
    expect(codes.get('role-not-allowed')).toBe(403);
    expect(codes.get('not-found')).toBe(404);
    expect(codes.get('insufficient-funds')).toBe(422);
    expect(codes.get('debit-not-claimable')).toBe(422);
    expect(codes.get('too-many-attempts')).toBe(429);
    expect(codes.get('malformed-json')).toBe(400);
  });
});
