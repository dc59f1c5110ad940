/** One invalid input, named the way the client sent it (`gpuTotal`, `points[2].price`, `limit`). */
export interface FieldError {
  field: string;
  /** Where the field was: request body, query string or path. */
  in: 'body' | 'query' | 'path';
  message: string;
}

/** Input that does not satisfy its schema (→ 400). */
export class ValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.in} ${e.field}: ${e.message}`).join('; '));
    this.name = 'ValidationError';
  }
}

/** A referenced resource does not exist (→ 404); `field` names the input that referenced it. */
export class NotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly id: string,
    readonly field?: { name: string; in: FieldError['in'] },
  ) {
    super(`${resource} ${JSON.stringify(id)} does not exist`);
    this.name = 'NotFoundError';
  }
}

/** The request is valid but clashes with the current state (→ 409), e.g. a duplicate id. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly field?: { name: string; in: FieldError['in'] },
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** This process is already doing the one thing of its kind it does at a time (→ 429 with Retry-After). */
export class BusyError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'BusyError';
  }
}

/** Too many failed attempts from one client (→ 429 with Retry-After). */
export class TooManyAttemptsError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'TooManyAttemptsError';
  }
}
