/** npm run docs:codes — rewrites the table of problem codes in docs/errors.md from the source. */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { problemCodesTable, TABLE_END, TABLE_START } from './lib/problem-codes';

const file = path.join(__dirname, '..', 'docs', 'errors.md');
const doc = readFileSync(file, 'utf8');
const start = doc.indexOf(TABLE_START);
const end = doc.indexOf(TABLE_END);
if (start < 0 || end < start) throw new Error(`docs/errors.md needs the markers ${TABLE_START} and ${TABLE_END}`);
writeFileSync(file, `${doc.slice(0, start + TABLE_START.length)}\n${problemCodesTable()}\n${doc.slice(end)}`);
process.stdout.write('wrote docs/errors.md\n');
