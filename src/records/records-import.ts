import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parse } from 'csv-parse';
import * as iconv from 'iconv-lite';
import { Readable } from 'stream';
import type { KeyPrincipal } from '../auth/principal';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { AppError, BadInput, mapError } from '../platform/http/app-error';
import { flattenValidationErrors } from '../platform/http/validation';
import { CreateRecordDto } from './records.dto';
import { RecordsService } from './records.service';
import type { RuleSetView } from '../rules/rulesets.service';

export const IMPORT_HEADER = ['holderType', 'holderId', 'ruleCode', 'quantity', 'occurredOn', 'note'];
const SNIFF_BYTES = 64 * 1024;
export const IMPORT_LIMIT_BYTES = 50 * 1024 * 1024;

const isCalendarDate = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

export interface ImportResult {
  accepted: number;
  rejected: { line: number; errors: string[] }[];
}

/** Carries a refused all-or-nothing import out of its transaction, so everything rolls back. */
class ImportRefused extends Error {
  constructor(readonly result: ImportResult) {
    super('import refused');
  }
}

/**
 * Which decoder: the charset the client names; else UTF-8 if the file starts
 * with a BOM or its first 64 KiB are valid UTF-8; else GBK (what Excel on a
 * Chinese Windows saves as "CSV").
 */
export function chooseEncoding(head: Buffer, charset: string | undefined): string {
  if (charset) {
    const c = charset.toLowerCase();
    if (!iconv.encodingExists(c)) throw new BadInput(`charset ${charset} is not supported`, [{ field: 'Content-Type', messages: ['use utf-8, gbk or gb18030'] }]);
    return c;
  }
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    return 'gb18030'; // a superset of GBK
  }
}

/** Decodes a byte stream to text, choosing the encoding from its start; refuses more than `limit` bytes. */
async function* decodeStream(source: AsyncIterable<Buffer>, charset: string | undefined, limit: number): AsyncGenerator<string> {
  let decoder: iconv.DecoderStream | null = null;
  let head = Buffer.alloc(0);
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > limit) throw new AppError(413, 'payload-too-large', `the CSV file exceeds ${limit / 1024 / 1024} MB`);
    if (decoder) {
      yield decoder.write(chunk);
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < SNIFF_BYTES) continue;
    decoder = iconv.getDecoder(chooseEncoding(head, charset));
    yield decoder.write(head);
  }
  if (!decoder) {
    decoder = iconv.getDecoder(chooseEncoding(head, charset));
    yield decoder.write(head);
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * POST /v1/records/import: streams the CSV (memory stays flat however long the
 * file), enters each line as a record inside one DB transaction. All-or-nothing unless `partial`: any bad line rolls everything
 * back and answers 422 with every bad line and its reasons. Lines are counted
 * with the header as line 1.
 */
@Injectable()
export class RecordsImportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly records: RecordsService,
  ) {}

  async importCsv(p: KeyPrincipal, body: AsyncIterable<Buffer>, charset: string | undefined, partial: boolean): Promise<{ status: number; body: ImportResult }> {
    const rows = Readable.from(decodeStream(body, charset, IMPORT_LIMIT_BYTES)).pipe(
      parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }),
    );
    const result: ImportResult = { accepted: 0, rejected: [] };
    // Rule set lookups repeat for every line of a village and date: once per import.
    const rules = new Map<string, Promise<RuleSetView | null>>();
    try {
      await this.uow.run(
        async (m) => {
          let headerSeen = false;
          for await (const { record, info } of rows as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
            const line = info.lines;
            if (!headerSeen) {
              headerSeen = true;
              if (record.map((h) => h.trim()).join(',') !== IMPORT_HEADER.join(',')) {
                throw new BadInput('the first line must be the header', [{ field: 'line 1', messages: [`expected ${IMPORT_HEADER.join(',')}`] }]);
              }
              continue;
            }
            const errors = await this.enter(m, p, record, rules);
            if (errors.length) result.rejected.push({ line, errors });
            else result.accepted++;
          }
          if (!headerSeen) throw new BadInput('the CSV file is empty', [{ field: 'line 1', messages: ['a header line is required'] }]);
          if (result.rejected.length && !partial) throw new ImportRefused({ accepted: 0, rejected: result.rejected });
        },
        { retries: 0 }, // the request body cannot be read twice
      );
    } catch (e) {
      rows.destroy();
      if (e instanceof ImportRefused) return { status: 422, body: e.result };
      throw e;
    }
    return { status: 201, body: result };
  }

  /** Enters one line in a savepoint; returns its problems (none when it was entered). */
  private async enter(
    m: Parameters<RecordsService['submitWithin']>[0],
    p: KeyPrincipal,
    cells: string[],
    rules: Map<string, Promise<RuleSetView | null>>,
  ): Promise<string[]> {
    if (cells.length !== IMPORT_HEADER.length) return [`expected ${IMPORT_HEADER.length} columns, found ${cells.length}`];
    const [holderType, holderId, ruleCode, quantity, occurredOn, note] = cells;
    const dto = plainToInstance(CreateRecordDto, {
      holder: { type: holderType, id: holderId },
      ruleCode,
      ...(quantity ? { quantity } : {}),
      occurredOn,
      ...(note ? { note } : {}),
    });
    const invalid = flattenValidationErrors(await validate(dto, { whitelist: true, forbidNonWhitelisted: true }));
    if (invalid.length) return invalid.flatMap((f) => f.messages);
    if (!isCalendarDate(dto.occurredOn)) return [`occurredOn ${dto.occurredOn} is not a calendar date`];
    // No savepoint per line: every refusal is decided before the line writes
    // anything, and 100,000 subtransactions in one transaction would overflow
    // PostgreSQL's subtransaction cache and slow every statement after it.
    // A statement the database itself refuses fails the whole import.
    try {
      await this.records.submitWithin(m, p, dto, rules);
      return [];
    } catch (e) {
      const known = mapError(e);
      if (!known || known.status >= 500) throw e;
      return [known.message];
    }
  }
}
