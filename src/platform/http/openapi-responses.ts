import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/**
 * A 200 that is JSON of `type`, or an HTML page for a browser (`Accept: text/html`):
 * the public boards and grades, the household's own page. Both media types in the
 * document, the JSON one with its schema.
 */
export const ApiJsonOrHtml = (type: Type<unknown>, description: string) =>
  applyDecorators(
    ApiExtraModels(type),
    ApiResponse({
      status: 200,
      description,
      content: { 'application/json': { schema: { $ref: getSchemaPath(type) } }, 'text/html': { schema: { type: 'string' } } },
    }),
  );
