import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppError } from './app-error';
import { markBulk } from './foreground';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * OpenAPI for a route that takes a spreadsheet as its body (CSV or .xlsx) and
 * answers what it did with it: `ok` for the success statuses, and 422 as
 * `application/json` of the same type, listing every refused line.
 */
export const SpreadsheetBody = (answer: new () => object, ok: number[]) =>
  applyDecorators(
    ApiConsumes('text/csv', XLSX),
    ApiBody({ required: true, description: 'The CSV file (UTF-8 with or without BOM, or GBK) or the .xlsx workbook.', schema: { type: 'string', format: 'binary' } }),
    ...ok.map((status) => ApiResponse({ status, type: answer })),
    ApiResponse({ status: 422, type: answer, description: 'The file was refused as a whole (nothing written): every refused line, with why.' }),
  );

/**
 * A spreadsheet upload's CSV charset, if it names one (415 for anything but
 * text/csv or .xlsx; which of the two it is, is read from the file's first
 * bytes). The upload steps aside for interactive requests, not for itself.
 */
export function spreadsheetCharset(req: Request): string | undefined {
  const type = req.headers['content-type'] ?? '';
  if (!/^text\/csv\b/i.test(type) && !type.toLowerCase().startsWith(XLSX)) {
    throw new AppError(415, 'unsupported-media-type', `send the file as text/csv or as .xlsx (${XLSX})`);
  }
  markBulk(req);
  return /charset=([\w-]+)/i.exec(type)?.[1];
}
