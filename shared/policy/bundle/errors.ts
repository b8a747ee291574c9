/** A policy IR that does not have the expected shape; `path` names the offending node. */
export class PolicyIrError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "PolicyIrError";
    this.path = path;
  }
}
