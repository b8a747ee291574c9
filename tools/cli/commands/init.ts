import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { packageRoot, PACKAGED } from "../../package/mode.ts";

const TARGETS = ["worker", "lambda", "node"] as const;
type Target = (typeof TARGETS)[number];

const usage = `usage: gatehouse init [DIR] [--target worker|lambda|node] [--force]

Writes a working policy project into DIR (default: the current directory):
  gatehouse.config.json   issuers, revocation and fail modes, with \`$schema\` for editor completion
  policies/               the Cedar schema, an example policy set, routes.json and policy tests
  package.json            scripts build, test, dev (and deploy or start); created or completed
  per target:
    worker (default)      wrangler.toml and src/worker.js
    lambda                template.yaml (SAM, nodejs24.x) and src/handler.mjs
    node                  the forward-auth server as the \`start\` script

Then: npx gatehouse build, npx gatehouse test, npx gatehouse dev.

options:
  --target NAME   worker, lambda or node; default worker
  --force         overwrite existing files (without it, init refuses and changes nothing)

exit codes: 0 written, 1 a file exists (without --force), 2 usage error`;

// What \`npm init -y\` puts in "test": a placeholder, not the user's choice
const NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1';

/** `gatehouse init`: a new project from the example policies and the target's deploy files. */
export const command: CliCommand = {
  summary: "write a new policy project (config, policies, tests, deploy files) into a directory",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { target: { type: "string", default: "worker" }, force: { type: "boolean", default: false } },
      true,
    );
    if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.map((p) => `\`${p}\``).join(", ")}`);
    const target = values.target as Target;
    if (!TARGETS.includes(target)) throw new UsageError(`--target: expected \`worker\`, \`lambda\` or \`node\`, got \`${values.target}\``);
    const dir = resolve(positionals[0] ?? ".");

    const files = projectFiles(target);
    const clashes = [...files.keys()].filter((path) => existsSync(join(dir, path)));
    if (clashes.length > 0 && !values.force) {
      console.error(`gatehouse init: ${clashes.length} file${clashes.length === 1 ? "" : "s"} already exist${clashes.length === 1 ? "s" : ""}, nothing written (pass --force to overwrite):`);
      for (const path of clashes) console.error(`  ${path}`);
      return 1;
    }
    for (const [path, text] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const scripts = writePackageJson(dir, target);
    appendGitignore(dir);

    const shown = relative(process.cwd(), dir) || ".";
    console.log(`gatehouse init: a ${target} project in ${shown} (${files.size} files; package.json scripts: ${scripts.join(", ") || "kept yours"})`);
    console.log("");
    if (shown !== ".") console.log(`  cd ${shown}`);
    if (!existsSync(join(dir, "node_modules", "gatehouse"))) console.log("  npm install gatehouse hono");
    console.log("  npx gatehouse build    # compile and check the policies into dist/");
    console.log("  npx gatehouse test     # run policies/tests/*.yaml");
    console.log("  npx gatehouse dev      # the Worker locally, with a dev issuer and example tokens");
    console.log(`  ${DEPLOY_HINT[target]}`);
    return 0;
  },
};

const DEPLOY_HINT: Record<Target, string> = {
  worker: "npm run deploy         # gatehouse build + wrangler deploy (npm install -D wrangler)",
  lambda: "npm run deploy         # gatehouse build + sam build + sam deploy --guided",
  node: "npm start              # the forward-auth server on PORT (default 9000) behind your proxy",
};

// Project-relative path -> contents, in the order written
function projectFiles(target: Target): Map<string, string> {
  const root = packageRoot();
  const files = new Map<string, string>();
  files.set("gatehouse.config.json", `${JSON.stringify(starterConfig(target), null, 2)}\n`);
  const policies = PACKAGED ? join(root, "dist", "lib", "init", "policies") : join(root, "policies");
  for (const file of walk(policies)) files.set(join("policies", relative(policies, file)), readFileSync(file, "utf8"));
  const templates = join(root, ...(PACKAGED ? ["dist", "lib", "init", "templates"] : ["tools", "init", "templates"]), target);
  if (existsSync(templates)) for (const file of walk(templates)) files.set(relative(templates, file), readFileSync(file, "utf8"));
  return files;
}

function starterConfig(target: Target): Record<string, unknown> {
  return {
    $schema: "./node_modules/gatehouse/dist/lib/gatehouse.config.schema.json",
    $comment: "Replace the issuer with your IdP's. `gatehouse dev` trusts its own dev issuer instead; see docs/config.md.",
    token: {
      issuers: [{ issuer: "https://auth.example.com/", audience: "https://api.example.com", algorithms: ["RS256"], jwksUri: "https://auth.example.com/.well-known/jwks.json" }],
    },
    // A Worker keeps the list in KV; Lambda and the Node server start in memory (per instance): pick
    // a shared store (upstash, redis, dynamodb) before production
    revocation: target === "worker" ? { store: { kind: "kv", binding: "REVOCATIONS" }, ttlMs: 5000 } : { store: { kind: "memory" }, ttlMs: 5000 },
    failMode: "closed",
    audit: { clientIp: "truncate" },
  };
}

function writePackageJson(dir: string, target: Target): string[] {
  const file = join(dir, "package.json");
  const pkg = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : { name: basename(dir).toLowerCase().replace(/[^a-z0-9-]/g, "-"), private: true, type: "module" };
  const scripts = { ...((pkg.scripts as Record<string, string> | undefined) ?? {}) };
  const wanted: Record<string, string> = {
    build: "gatehouse build --config gatehouse.config.json",
    test: "gatehouse test",
    dev: "gatehouse dev",
    ...(target === "worker" ? { deploy: "gatehouse build --config gatehouse.config.json && wrangler deploy" } : {}),
    ...(target === "lambda" ? { deploy: "gatehouse build --config gatehouse.config.json && sam build && sam deploy --guided" } : {}),
    ...(target === "node" ? { start: "GATEHOUSE_CONFIG_FILE=gatehouse.config.json GATEHOUSE_PROXY=nginx gatehouse-forward-auth" } : {}),
  };
  const added: string[] = [];
  for (const [name, command] of Object.entries(wanted)) {
    if (scripts[name] === undefined || scripts[name] === NPM_PLACEHOLDER_TEST) {
      scripts[name] = command;
      added.push(name);
    }
  }
  writeFileSync(file, `${JSON.stringify({ ...pkg, scripts }, null, 2)}\n`);
  return added;
}

function appendGitignore(dir: string): void {
  const file = join(dir, ".gitignore");
  const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
  const missing = ["node_modules/", "dist/", ".gatehouse/", ".wrangler/", ".aws-sam/"].filter((line) => !lines.includes(line));
  if (missing.length > 0) writeFileSync(file, [...lines.filter((line, i) => line !== "" || i < lines.length - 1), ...missing, ""].join("\n"));
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
