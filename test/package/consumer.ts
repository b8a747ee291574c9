// A consumer project for the packed tarball, installed offline (issue #15). npm resolves a bare
// `npm install <tarball> hono typescript` through registry metadata, which `npm ci` never caches;
// so the consumer gets a lockfile cut from this repository's own, naming the same versions the repo
// installed. With it, `npm install --offline` needs nothing but tarballs, all in the npm cache.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** Writes package.json and package-lock.json of a consumer depending on `tarball`, `hono` and `typescript`. */
export function writeConsumerProject(dir: string, repoRoot: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string; license: string; [field: string]: any };
  const repo = lock.packages;
  const version = (name: string) => repo[`node_modules/${name}`]?.version ?? fail(`${name} is not in the repository's lockfile`);
  const spec = `file:${tarball}`;
  const root = { name: "consumer", version: "1.0.0", dependencies: { gatehouse: spec, hono: version("hono"), typescript: version("typescript") } };
  const packages: Record<string, LockEntry> = {
    "": root,
    "node_modules/gatehouse": {
      version: String(pkg.version),
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: String(pkg.license),
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
    },
  };

  // npm's lookup: the nearest node_modules/<name> walking up from the dependent's own folder
  const resolveFrom = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (repo[candidate] !== undefined) return candidate;
      if (base === "") return undefined;
      const cut = base.lastIndexOf("/node_modules/");
      base = cut === -1 ? "" : base.slice(0, cut);
    }
  };
  const queue: Array<[string, Record<string, string> | undefined, Record<string, { optional?: boolean }> | undefined, boolean]> = [
    ["", pkg.dependencies, undefined, false],
    ["", { hono: "", typescript: "" }, undefined, false],
  ];
  while (queue.length > 0) {
    const [from, deps, peerMeta, isPeer] = queue.shift()!;
    for (const name of Object.keys(deps ?? {})) {
      if (isPeer && peerMeta?.[name]?.optional) continue;
      const path = resolveFrom(from, name);
      if (path === undefined) {
        if (isPeer) continue;
        fail(`${name} (needed by ${from || "gatehouse"}) is not in the repository's lockfile`);
      }
      if (packages[path] !== undefined) continue;
      const { dev, devOptional, peer, ...entry } = repo[path]!;
      void dev, void devOptional, void peer;
      // This repository's lockfile leaves out `resolved` (npm's omit-lockfile-registry-resolved);
      // without it npm asks the registry where the tarball is, so name the registry's own address
      if (entry.resolved === undefined && entry.integrity !== undefined) entry.resolved = registryTarball(path.slice(path.lastIndexOf("node_modules/") + 13), String(entry.version));
      packages[path] = entry;
      queue.push([path, entry.dependencies, undefined, false], [path, entry.optionalDependencies, undefined, false], [path, entry.peerDependencies, entry.peerDependenciesMeta, true]);
    }
  }
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(root, null, 2)}\n`);
  writeFileSync(join(dir, "package-lock.json"), `${JSON.stringify({ name: "consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

function registryTarball(name: string, version: string): string {
  return `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${version}.tgz`;
}

function fail(message: string): never {
  throw new Error(`consumer lockfile: ${message}`);
}
