import { ConfigError } from "../errors.ts";
import type { RevocationStore } from "./store.ts";

/** Environment values a store may read: a Worker's `env` (bindings and vars) or `process.env`. */
export type StoreEnv = Readonly<Record<string, unknown>>;

/** One CLI flag of a store, generated into `gatehouse revoke|unrevoke|revocations` from the registry. */
export interface StoreFlag {
  /** Flag name without dashes, e.g. `redis`, `upstash-token`. */
  readonly flag: string;
  /** The option it sets, as in the configuration's `revocation.store` section. */
  readonly field: string;
  /** Usage text, e.g. `URL  Redis over TCP`. */
  readonly help: string;
  /** The environment variable that supplies it when the flag is absent. */
  readonly env?: string;
}

/**
 * What a store is opened for, named by the configuration section that opens it: revocation
 * lookups and entity reads are on the request path, policy bundles are polled in the background.
 */
export type StorePurpose = "revocation" | "entities" | "policyBundle";

// Here rather than in config.ts: the s3 kind's file reads it, and must not pull the config checks into a shared chunk
/** Why `s3` is refused outside `policyBundle.store`, in the `ConfigError` that says so. */
export const S3_BUNDLES_ONLY = "S3 holds policy bundles only (`policyBundle.store`, `gatehouse publish`): its reads are too slow for a lookup on every request";

/** What a store kind is given besides its options. A store holds no clock: each read brings its time (issue #14). */
export interface StoreDeps {
  readonly env: StoreEnv;
}

/**
 * One kind of revocation store: how to read its options (from the configuration's
 * `revocation.store` section or the CLI's flags, each falling back to the environment), how to
 * build its client, and how to name it without a secret. One file per kind; a registry lists them.
 */
export interface StoreKind<Options = unknown> {
  readonly kind: string;
  /**
   * The CLI flag that selects this kind (and sets one option), then the flags of its other
   * options; absent for kinds the CLI cannot open (`memory` lives in one process).
   */
  readonly cli?: { readonly select: StoreFlag; readonly options: readonly StoreFlag[] };
  /**
   * What the kind may be opened for, and why not for the rest; absent for kinds that serve every
   * purpose. S3 holds policy bundles only: a read takes tens of ms, too slow for a lookup per request.
   */
  readonly only?: { readonly purposes: readonly StorePurpose[]; readonly because: string };
  /**
   * Reads the options from `section` (the store section without `kind`), falling back to `env`.
   * `name` turns an option name into what the user wrote (`revocation.store.url`, `--redis`).
   * @throws ConfigError naming the option.
   */
  parse(section: Readonly<Record<string, unknown>>, env: StoreEnv, name: (field: string) => string): Options;
  /** Builds the client; never throws for a well-parsed `options`. */
  create(options: Options, deps: StoreDeps): RevocationStore;
  /** e.g. `redis 127.0.0.1:6379`; never a password or token. */
  describe(options: Options): string;
}

/** A non-empty string option from the section, else from the environment, else `undefined`. */
export function optionFrom(section: Readonly<Record<string, unknown>>, env: StoreEnv, field: string, variable?: string): string | undefined {
  const value = section[field] ?? (variable === undefined ? undefined : env[variable]);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The same, required: `ConfigError` naming the option and the variable when both are absent. */
export function requiredOption(section: Readonly<Record<string, unknown>>, env: StoreEnv, field: string, variable: string | undefined, name: (field: string) => string, what: string): string {
  const value = optionFrom(section, env, field, variable);
  if (value === undefined) throw new ConfigError(name(field), `expected ${what}${variable === undefined ? "" : `, or \`${variable}\` in the environment`}`);
  return value;
}
