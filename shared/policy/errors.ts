/**
 * An error raised while evaluating one policy. The policy set catches it, reports it in
 * `errors` with the policy id and skips that policy, as Cedar does.
 *
 * Deliberately not a subclass of `Error`: capturing a stack trace on every type error would
 * cost more than evaluating the policy, and the message is all a caller ever sees.
 */
export class PolicyEvaluationError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
  toString(): string {
    return this.message;
  }
}

/** Throws a `PolicyEvaluationError` with `message`. */
export function fail(message: string): never {
  throw new PolicyEvaluationError(message);
}

/** Throws a Cedar type error: `expected` names the wanted type, `got` the value's type. */
export function typeError(expected: string, got: string): never {
  throw new PolicyEvaluationError(`type error: expected ${expected}, got ${got}`);
}

/** Throws Cedar's integer overflow error for `op`. */
export function overflow(op: string): never {
  throw new PolicyEvaluationError(`integer overflow while attempting to ${op}`);
}
