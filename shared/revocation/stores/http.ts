import { ConfigError } from "../../errors.ts";
import { optionFrom, requiredOption, type StoreKind } from "../store-kind.ts";
import type { RevocationStore, RevocationStoreEntry } from "../store.ts";

/** Options for `createHttpStore`. */
export interface HttpStoreOptions {
  /** Base URL; each key is the URL-encoded last path segment under it (`https://h/bundles/<key>`). */
  readonly url: string;
  /** Sent as `Authorization: Bearer` on every request when set; never logged. */
  readonly token?: string;
}

/**
 * A key-value store over plain HTTP (issue #18, for policy bundles behind any web server or object
 * store gateway): `GET {url}/{key}` answers the value (200) or nothing (404), `PUT` writes it with
 * the expiry in `x-expires-at` (Unix seconds; the server may ignore it), `DELETE` removes it, and
 * `GET {url}/?prefix=P` answers a JSON array of `{ key, value, expiresAt? }`. Only the configured
 * URL is ever fetched: keys are encoded into its path, never taken as URLs.
 */
export function createHttpStore(options: HttpStoreOptions): RevocationStore {
  const base = options.url.endsWith("/") ? options.url : `${options.url}/`;
  const headers: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const at = (key: string): string => base + encodeURIComponent(key);
  const check = async (response: Response, what: string): Promise<Response> => {
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`http store: ${what} answered ${response.status}`);
    }
    return response;
  };
  return {
    name: "http",
    getMany: function httpGetMany(keys, signal) {
      return Promise.all(
        keys.map(async (key) => {
          const response = await fetch(at(key), { headers, signal });
          if (response.status === 404) {
            await response.body?.cancel();
            return null;
          }
          return (await check(response, "GET")).text();
        }),
      );
    },
    put: async function httpPut(key, value, expiresAtSeconds) {
      await (await check(await fetch(at(key), { method: "PUT", body: value, headers: { ...headers, "content-type": "text/plain; charset=utf-8", "x-expires-at": String(expiresAtSeconds) } }), "PUT")).body?.cancel();
    },
    delete: async function httpDelete(key) {
      const response = await fetch(at(key), { method: "DELETE", headers });
      if (response.status !== 404) await check(response, "DELETE");
      await response.body?.cancel();
    },
    list: async function httpList(prefix) {
      const response = await check(await fetch(`${base}?prefix=${encodeURIComponent(prefix)}`, { headers }), "list");
      const entries = (await response.json()) as unknown;
      if (!Array.isArray(entries)) throw new Error("http store: list answered no JSON array");
      return entries.filter((e): e is RevocationStoreEntry => typeof e?.key === "string" && typeof e?.value === "string" && e.key.startsWith(prefix));
    },
  };
}

/** `{ kind: "http", url?, token? }`; `url` defaults to `GATEHOUSE_STORE_HTTP_URL`, `token` to `GATEHOUSE_STORE_HTTP_TOKEN`. */
export const httpStore: StoreKind<HttpStoreOptions> = {
  kind: "http",
  cli: {
    select: { flag: "http", field: "url", env: "GATEHOUSE_STORE_HTTP_URL", help: "URL  a key-value store over HTTP" },
    options: [{ flag: "http-token", field: "token", env: "GATEHOUSE_STORE_HTTP_TOKEN", help: "TOKEN  its bearer token" }],
  },
  parse(section, env, name) {
    const url = requiredOption(section, env, "url", "GATEHOUSE_STORE_HTTP_URL", name, "the store's base URL");
    let protocol = "";
    try {
      protocol = new URL(url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== "https:" && protocol !== "http:") throw new ConfigError(name("url"), "expected an `http://` or `https://` url");
    const token = optionFrom(section, env, "token", "GATEHOUSE_STORE_HTTP_TOKEN");
    return token === undefined ? { url } : { url, token };
  },
  create: (options) => createHttpStore(options),
  describe: (options) => `http ${new URL(options.url).host}`,
};
