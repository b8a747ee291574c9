import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError } from "../../shared/errors.ts";
import type { RevocationStore, RevocationStoreEntry } from "../../shared/revocation/store.ts";
import { optionFrom, requiredOption, S3_BUNDLES_ONLY, type StoreEnv, type StoreKind } from "../../shared/revocation/store-kind.ts";

/** Options for `createS3Store`. */
export interface S3StoreOptions {
  readonly bucket: string;
  /** Prepended to every key to name its object, e.g. `gatehouse/`; default none. */
  readonly prefix?: string;
  /** AWS region; default the SDK's (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** Endpoint of an S3-compatible or local server (MinIO, s3rver), e.g. `http://127.0.0.1:4568`. */
  readonly endpoint?: string;
  /** Bucket in the URL path rather than the host name; default true with `endpoint`, else false. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; default the SDK's provider chain (the Lambda role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** A client built by the caller (credentials, tracing); `region`, `endpoint` and `forcePathStyle` are then ignored. */
  readonly client?: S3Client;
}

/** An S3 store, with `close` to release the SDK client's sockets. */
export interface S3Store extends RevocationStore {
  close(): Promise<void>;
}

// User metadata `x-amz-meta-expires-at`, Unix seconds. Lifecycle rules expire objects by whole
// days only (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html),
// so the store keeps the expiry itself and every read judges it by the caller's time
const EXPIRES_AT = "expires-at";
// `list` reads each object for its value and expiry (ListObjectsV2 answers neither); this many at once
const LIST_READS_IN_PARALLEL = 8;

/**
 * S3 through the AWS SDK v3, for policy bundles (`policyBundle.store`, `gatehouse publish`): one
 * object per key, named `prefix` + key, in one bucket. `getMany` reads every key with its own
 * `GetObject`, in parallel, and gives up as soon as `signal` aborts. Not a revocation store: an S3
 * read takes tens of milliseconds, far over a revocation lookup's deadline.
 */
export function createS3Store(options: S3StoreOptions): S3Store {
  const { bucket } = options;
  const prefix = options.prefix ?? "";
  // The AWS SDK is an optional peer of the package: loaded when a store is built, not when this
  // module is (the CLI loads every store kind for its flags)
  const ready = import("@aws-sdk/client-s3").then((sdk) => ({
    sdk,
    client:
      options.client ??
      new sdk.S3Client({
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        credentials: options.credentials,
        // S3-compatible servers often reject or ignore the CRC checksums the SDK adds by default
        ...(options.endpoint === undefined ? {} : { requestChecksumCalculation: "WHEN_REQUIRED" as const, responseChecksumValidation: "WHEN_REQUIRED" as const }),
        requestHandler: { connectionTimeout: 2000 },
      }),
  }));
  ready.catch(() => {}); // a missing SDK rejects every call; never an unhandled rejection

  // The value and expiry of one object; `null` when absent or expired at `nowMs`
  async function read(key: string, signal: AbortSignal | undefined, nowMs: number): Promise<{ value: string; expiresAt?: number } | null> {
    const { sdk, client } = await ready;
    try {
      const reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: prefix + key }), { abortSignal: signal });
      const value = (await reply.Body?.transformToString("utf-8")) ?? "";
      const expiresAt = Number(reply.Metadata?.[EXPIRES_AT]);
      if (expiresAt <= nowMs / 1000) return null;
      return Number.isFinite(expiresAt) ? { value, expiresAt } : { value };
    } catch (error) {
      // only an absent key: a missing bucket (`NoSuchBucket`, also 404) is an error to report
      if (error instanceof sdk.NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return null;
      throw error;
    }
  }

  return {
    name: "s3",
    getMany: async function s3GetMany(keys, signal, nowMs) {
      // The SDK's abort stops the request, but a body already streaming may outlive it; the race does not
      return raced(Promise.all(keys.map(async (key) => (await read(key, signal, nowMs))?.value ?? null)), signal);
    },
    put: async function s3Put(key, value, expiresAtSeconds) {
      const { sdk, client } = await ready;
      await client.send(
        new sdk.PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: value, ContentType: "text/plain; charset=utf-8", Metadata: { [EXPIRES_AT]: String(expiresAtSeconds) } }),
      );
    },
    delete: async function s3Delete(key) {
      const { sdk, client } = await ready;
      // S3 answers 204 for an absent key too
      await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }));
    },
    list: async function s3List(keyPrefix, nowMs) {
      const { sdk, client } = await ready;
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + keyPrefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key !== undefined) names.push(object.Key.slice(prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      const found: RevocationStoreEntry[] = [];
      for (let i = 0; i < names.length; i += LIST_READS_IN_PARALLEL) {
        const batch = names.slice(i, i + LIST_READS_IN_PARALLEL);
        const entries = await Promise.all(batch.map((key) => read(key, undefined, nowMs)));
        entries.forEach((entry, j) => {
          if (entry !== null) found.push({ key: batch[j], ...entry });
        });
      }
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    close: async function s3Close() {
      const { client } = await ready;
      if (options.client === undefined) client.destroy();
    },
  };
}

// Settles with `work`, or rejects when `signal` aborts first
function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

// A local endpoint takes the pair in the environment the store is opened with (which for the
// forward-auth server need not be `process.env`), else a placeholder; AWS itself, the SDK's chain
function localCredentials(env: StoreEnv): S3StoreOptions["credentials"] | undefined {
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: session, AWS_PROFILE: profile } = env;
  if (typeof id === "string" && id !== "" && typeof secret === "string" && secret !== "") return { accessKeyId: id, secretAccessKey: secret, ...(typeof session === "string" && session !== "" ? { sessionToken: session } : {}) };
  return profile === undefined ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
}

/**
 * `{ kind: "s3", bucket, prefix?, region?, endpoint?, forcePathStyle? }`, in `policyBundle.store`
 * only: `region` defaults to `AWS_REGION` (or `us-east-1` with an endpoint), `endpoint` to
 * `GATEHOUSE_S3_ENDPOINT`. Node only (Lambda, the forward-auth server, the CLI).
 */
export const s3Store: StoreKind<S3StoreOptions> = {
  kind: "s3",
  only: { purposes: ["policyBundle"], because: S3_BUNDLES_ONLY },
  cli: {
    select: { flag: "s3-bucket", field: "bucket", help: "NAME  S3 bucket (policy bundles only)" },
    options: [
      { flag: "s3-prefix", field: "prefix", help: "PREFIX  object key prefix" },
      { flag: "s3-endpoint", field: "endpoint", env: "GATEHOUSE_S3_ENDPOINT", help: "URL  S3-compatible endpoint" },
      { flag: "s3-path-style", field: "forcePathStyle", help: "true|false  bucket in the path" },
      { flag: "region", field: "region", env: "AWS_REGION", help: "REGION" },
    ],
  },
  parse(section, env, name) {
    const bucket = requiredOption(section, {}, "bucket", undefined, name, "the bucket name");
    const prefix = optionFrom(section, {}, "prefix");
    const endpoint = optionFrom(section, env, "endpoint", "GATEHOUSE_S3_ENDPOINT");
    if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) throw new ConfigError(name("endpoint"), "expected an `http://` or `https://` url");
    const region = optionFrom(section, env, "region", "AWS_REGION") ?? optionFrom({}, env, "region", "AWS_DEFAULT_REGION") ?? (endpoint ? "us-east-1" : undefined);
    if (region === undefined) throw new ConfigError(name("region"), "expected an AWS region, or `AWS_REGION` in the environment");
    const pathStyle = section.forcePathStyle;
    let forcePathStyle: boolean | undefined;
    if (pathStyle === true || pathStyle === "true") forcePathStyle = true;
    else if (pathStyle === false || pathStyle === "false") forcePathStyle = false;
    else if (pathStyle !== undefined) throw new ConfigError(name("forcePathStyle"), "expected true or false");
    const credentials = endpoint === undefined ? undefined : localCredentials(env);
    return {
      bucket,
      region,
      ...(prefix === undefined ? {} : { prefix }),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(forcePathStyle === undefined ? {} : { forcePathStyle }),
      ...(credentials === undefined ? {} : { credentials }),
    };
  },
  create: (options) => createS3Store(options),
  describe: (options) => `s3 bucket ${options.bucket}${options.prefix ? ` prefix ${options.prefix}` : ""}`,
};
