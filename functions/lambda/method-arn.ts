/** The parts of an execute-api ARN (`arn:aws:execute-api:region:account:apiId/stage/METHOD/resource/path`). */
export interface MethodArn {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly method: string;
  /** The request path with a leading `/`, as API Gateway wrote it into the ARN. */
  readonly path: string;
}

/**
 * Splits a `methodArn` (REST) or `routeArn` (HTTP API), or answers `undefined` when it is not one.
 * Only the first five colons separate ARN fields: a path segment may itself hold a colon.
 * See https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
 */
export function parseMethodArn(arn: unknown): MethodArn | undefined {
  if (typeof arn !== "string" || arn.length > 4096) return undefined;
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const colon = arn.indexOf(":", start);
    if (colon < 0) return undefined;
    fields.push(arn.slice(start, colon));
    start = colon + 1;
  }
  const [scheme, partition, service, region, accountId] = fields;
  if (scheme !== "arn" || !partition || service !== "execute-api" || !region || !accountId) return undefined;
  const resource = arn.slice(start);
  const first = resource.indexOf("/");
  const second = first < 0 ? -1 : resource.indexOf("/", first + 1);
  const third = second < 0 ? -1 : resource.indexOf("/", second + 1);
  if (first <= 0 || second <= first + 1 || third <= second + 1) return undefined;
  return {
    region,
    accountId,
    apiId: resource.slice(0, first),
    stage: resource.slice(first + 1, second),
    method: resource.slice(second + 1, third),
    path: resource.slice(third),
  };
}

/** Whether `arn` holds a character IAM matches as a wildcard in a policy's `Resource` (`*` or `?`). */
export function hasIamWildcard(arn: string): boolean {
  return arn.includes("*") || arn.includes("?");
}

/**
 * `arn` as a `Resource` that names nothing but itself: IAM has no escape for a literal `*` or `?`,
 * so they are percent-encoded. Used for Deny statements only (an ARN with wildcards is never allowed),
 * where a Resource matching no request still leaves that request denied.
 */
export function literalIamResource(arn: string): string {
  return hasIamWildcard(arn) ? arn.replace(/\*/g, "%2A").replace(/\?/g, "%3F") : arn;
}
