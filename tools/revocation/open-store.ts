import { UsageError } from "../cli/command.ts";
import { nodeStores } from "../../functions/stores/registry.ts";
import { ConfigError } from "../../shared/errors.ts";
import { checkPurpose, loadStoreKinds, openKind, servesPurpose, type RevocationStore, type StoreFlag, type StoreKind, type StorePurpose, type StoreRegistry } from "../../shared/revocation/index.ts";
import { kvPersistStore } from "./kv-persist-store.ts";

/** The stores the CLI can write to: Node's registry, with Miniflare's persisted KV in place of a Worker binding. */
export const cliStores: StoreRegistry = { ...nodeStores, kv: kvPersistStore };

// Only kinds with CLI flags; loading them here is what puts every store's flags in `--help`
const kinds = (await loadStoreKinds(cliStores)).filter((kind): kind is StoreKind & { cli: NonNullable<StoreKind["cli"]> } => kind.cli !== undefined);

/**
 * The store-selection flags shared by `revoke`, `unrevoke`, `revocations` and `publish`, for
 * `parseCommandArgs`; generated from the registry. Every kind's flags parse everywhere, so a kind
 * given where it does not serve (`--s3-bucket` to `revoke`) gets a reason, not "unknown option".
 */
export const storeFlags: Readonly<Record<string, { type: "string" }>> = Object.fromEntries(
  kinds.flatMap((kind) => [kind.cli.select, ...kind.cli.options]).map((flag) => [flag.flag, { type: "string" as const }]),
);

/** Usage lines for the kinds that serve `purpose`; a flag two kinds share (`--region`) is listed under each. */
export function storeUsageFor(purpose: StorePurpose): string {
  const listed = kinds.filter((kind) => servesPurpose(kind, purpose));
  return ["store (exactly one; flags win over the environment):", ...listed.flatMap((kind) => [usageLine(kind.cli.select, "  "), ...kind.cli.options.map((flag) => usageLine(flag, "    "))])].join("\n");
}

/** Usage lines of the revocation store flags. */
export const storeUsage = storeUsageFor("revocation");

function usageLine(flag: StoreFlag, indent: string): string {
  const [argument, ...rest] = flag.help.split("  ");
  const left = `${indent}--${flag.flag} ${argument}`;
  const text = rest.join("  ");
  return `${left.padEnd(31)}${text.padEnd(25)} ${flag.env ? `env ${flag.env}` : ""}`.trimEnd();
}

/** An opened store and how to release it. */
export interface OpenedCliStore {
  readonly store: RevocationStore;
  /** e.g. `redis 127.0.0.1:6379`; never includes a password or token. */
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Opens the one store the flags (or, failing those, the environment) name, for `purpose`;
 * `UsageError` otherwise, also for a kind that does not serve `purpose`.
 */
export function openStore(values: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env, purpose: StorePurpose = "revocation"): OpenedCliStore {
  const chosen = kinds.filter((kind) => values[kind.cli.select.flag] !== undefined);
  if (chosen.length > 1) throw new UsageError(`choose one store, got ${chosen.map((k) => `\`--${k.cli.select.flag}\``).join(" and ")}`);
  let kind = chosen[0];
  if (kind === undefined) {
    const fromEnv = kinds.filter((k) => servesPurpose(k, purpose) && k.cli.select.env !== undefined && env[k.cli.select.env]);
    if (fromEnv.length !== 1) {
      const flags = kinds.filter((k) => servesPurpose(k, purpose)).map((k) => `\`--${k.cli.select.flag}\``);
      throw new UsageError(fromEnv.length === 0 ? `no store given: pass ${flags.slice(0, -1).join(", ")} or ${flags.at(-1)}` : "several stores set in the environment: pass one store flag");
    }
    kind = fromEnv[0];
  }
  const flags = [kind.cli.select, ...kind.cli.options];
  const section: Record<string, unknown> = {};
  for (const flag of flags) if (typeof values[flag.flag] === "string") section[flag.field] = values[flag.flag];
  const flagOf = (field: string) => `--${flags.find((flag) => flag.field === field)?.flag ?? field}`;
  try {
    checkPurpose(kind, purpose, `--${kind.cli.select.flag}`);
    const opened = openKind(kind, section, { env }, flagOf);
    return { ...opened, close: async () => opened.store.close?.() };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`\`${error.field}\`: ${error.message.slice(error.field.length + 2)}`);
    throw error;
  }
}
