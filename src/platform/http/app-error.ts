/**
 * Typed application errors. Services throw these; ProblemFilter maps them to
 * application/problem+json in one place. `code` is stable and machine-readable.
 */
export interface FieldProblem {
  field: string;
  messages: string[];
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export class BadInput extends AppError {
  constructor(message: string, errors?: FieldProblem[], code = 'validation-failed') {
    super(400, code, message, errors);
  }
}
export class Unauthorized extends AppError {
  constructor(message = 'a valid API key is required') {
    super(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer' });
  }
}
export class Forbidden extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}
export class NotFound extends AppError {
  constructor(what: string, code = 'not-found') {
    super(404, code, `${what} not found`);
  }
}
export class Conflict extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}
export class Unprocessable extends AppError {
  constructor(message: string, code = 'business-rule') {
    super(422, code, message);
  }
}
export class TooManyAttempts extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'too-many-attempts', message, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * Modules whose errors are not AppErrors (the pure ledger domain knows nothing
 * of HTTP) register a mapper here; the problem filter consults them in order.
 */
const mappers: ((e: unknown) => AppError | null)[] = [];
export function registerErrorMapper(mapper: (e: unknown) => AppError | null): void {
  mappers.push(mapper);
}
export function mapError(e: unknown): AppError | null {
  if (e instanceof AppError) return e;
  for (const m of mappers) {
    const mapped = m(e);
    if (mapped) return mapped;
  }
  return null;
}
