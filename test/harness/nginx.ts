// A real nginx (Debian's nginx-light, installed by .ci/run) running the forward-auth configuration
// exactly as docs/forward-auth.md documents it, so the documented example is what gets tested.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./corpus.ts";
import { freePort } from "./free-port.ts";

/** Where nginx is, or `undefined` when it is not installed. */
export function findNginx(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"])) {
    const file = join(dir, "nginx");
    if (dir !== "" && existsSync(file)) return file;
  }
  return undefined;
}

/** The ```nginx block of docs/forward-auth.md, as a reader would copy it. */
export function documentedNginxConfig(): string {
  const doc = readFileSync(join(repoRoot, "docs", "forward-auth.md"), "utf8");
  const block = /```nginx\n([\s\S]*?)```/.exec(doc);
  if (block === null) throw new Error("docs/forward-auth.md has no ```nginx block");
  return block[1];
}

export interface Nginx {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground (one process, no daemon) on a free loopback port with `serverBlock`
 * inside its `server {}`; `http://upstream` is the `upstream` block pointing at `upstreamPort`.
 */
export async function startNginx(nginx: string, serverBlock: string, upstreamPort: number): Promise<Nginx> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "nginx.conf"), `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream upstream { server 127.0.0.1:${upstreamPort}; }
  server {
    listen 127.0.0.1:${port};
${serverBlock}
  }
}
`);
  const child = spawn(nginx, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr.trim() || readLog(dir)}`);
    try {
      await fetch(`${url}/_nginx_ready`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${readLog(dir)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, "error.log"), "utf8").trim();
  } catch {
    return "no error log";
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
