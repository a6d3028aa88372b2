import type { OpenAPIObject } from '@nestjs/swagger';

type Operation = { security?: Record<string, string[]>[]; responses?: Record<string, unknown>; [k: string]: unknown };

/** The one error body every route answers with (RFC 9457 problem details). */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable and machine-readable; `detail` is for people (often in Chinese).',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'urn:jifen:problem:insufficient-points' },
    title: { type: 'string', example: 'Unprocessable Content' },
    status: { type: 'integer', example: 422 },
    detail: { type: 'string', example: '积分不足' },
    code: { type: 'string', example: 'insufficient-points' },
    errors: {
      type: 'array',
      description: 'Per-field problems of a refused request (400, and line errors of uploads).',
      items: { type: 'object', required: ['field', 'messages'], properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } } },
    },
    requestId: { type: 'string', description: 'The request id, also in the logs.' },
  },
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/**
 * What Nest's document builder cannot say by decorators, said once for every
 * operation: public routes need no credentials (`security: []`), the bearer
 * scheme is an opaque token (not a JWT), and every operation's errors are
 * problem+json with the shared Problem schema (4XX, and 5XX where the service
 * gives up: 503 with Retry-After).
 */
export function finishDocument(doc: OpenAPIObject): OpenAPIObject {
  const bearer = doc.components?.securitySchemes?.bearer as { bearerFormat?: string } | undefined;
  if (bearer) delete bearer.bearerFormat;
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Problem: PROBLEM_SCHEMA as never } };
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops as Record<string, Operation>)) {
      if (typeof op !== 'object' || !op || !('responses' in op)) continue;
      const isPublic = Array.isArray(op.security) && op.security.length === 1 && Object.keys(op.security[0]).length === 0;
      if (isPublic) op.security = [];
      const responses = (op.responses ??= {}) as Record<string, { description?: string; content?: unknown }>;
      // An error response declared on a route says when; what it carries is the one Problem body.
      // (A route that answers an error with a body of its own, like an upload's refused lines, may still answer a problem.)
      for (const [status, r] of Object.entries(responses)) {
        if (/^[45]/.test(status)) r.content = { ...(r.content as object | undefined), ...problem('').content };
      }
      if (!responses['4XX']) {
        responses['4XX'] = problem(isPublic ? 'Refused: bad input (400), not found (404), refused by a rule (422), too many attempts (429).' : 'Refused: bad input (400), no or bad credentials (401), role or scope (403), not found (404), conflict (409), refused by a rule (422), too many attempts (429).');
      }
      responses['5XX'] ??= problem('The service could not answer now (503 with Retry-After: try again); nothing was written.');
    }
  }
  return doc;
}
