import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";

export interface S3rverServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, the endpoint to give the AWS SDK client (path-style). */
  readonly endpoint: string;
  /** The bucket created at start. */
  readonly bucket: string;
  /** The key pair s3rver checks signatures against. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/**
 * Runs s3rver (an S3 API server on the file system) in this process on a free loopback port, with
 * one bucket, in a directory of its own that `stop` removes. It checks SigV4 signatures against
 * the pair `S3RVER` / `S3RVER`.
 */
export async function startS3rver(bucket = "gatehouse-bundles"): Promise<S3rverServer> {
  // Loaded on first use, so importing the harness does not pull in s3rver's Koa stack
  // @ts-expect-error -- s3rver ships no type declarations; the calls used are typed above
  const S3rver = ((await import("s3rver")) as { default: S3rverClass }).default;
  const directory = mkdtempSync(join(tmpdir(), "gatehouse-s3rver-"));
  const port = await freePort();
  const server = new S3rver({ address: "127.0.0.1", port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  await server.run();
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    stop: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
