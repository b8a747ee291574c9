/**
 * A `revoke` / `unrevoke` / `listRevocations` call with arguments that cannot name a revocation
 * (for example an empty `sub`). Thrown to the caller of the library function (CLI, IdP webhook);
 * the request path never throws it. `field` is the argument at fault.
 */
export class RevocationInputError extends Error {
  override readonly name = "RevocationInputError";
  readonly field: string;
  constructor(field: string, expected: string) {
    super(`${field}: ${expected}`);
    this.field = field;
  }
}
