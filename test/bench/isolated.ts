// Runs one figure in a Node process of its own and collects figures over interleaved rounds
// (issue #22): a figure measured beside cedar-wasm or another benchmark shares its JIT, heap and GC,
// and reads several times slower than it is. Each round starts every figure once, in turn, so
// machine noise (other processes on a shared box) spreads over all figures alike.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A figure over several rounds: the median and the range (lowest, highest). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

/** One process: `node [flags] --import tsx SCRIPT ...args`; resolves with the `value` of its last JSON line. */
export function runIsolated(script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--no-turbo-inline-js-wasm-calls", "--expose-gc", ...nodeFlags, "--import", "tsx", script, ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${script} ${args.join(" ")} failed: ${stderr.trim().split("\n").slice(-3).join(" / ") || error.message}`));
        const last = stdout.trim().split("\n").at(-1) ?? "";
        try {
          const value = (JSON.parse(last) as { value?: unknown }).value;
          if (typeof value !== "number" || !Number.isFinite(value)) throw new Error("no value");
          resolve(value);
        } catch {
          reject(new Error(`${script} ${args.join(" ")} printed no figure: ${last.slice(0, 200)}`));
        }
      },
    );
  });
}

/** Runs every job once per round, in turn, one at a time; returns each job's samples in round order. */
export async function interleave<K extends string>(jobs: Record<K, () => Promise<number>>, rounds: number, onRound?: (round: number) => void): Promise<Record<K, number[]>> {
  const samples = {} as Record<K, number[]>;
  for (const name of Object.keys(jobs) as K[]) samples[name] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(jobs) as K[]) samples[name].push(await jobs[name]());
    onRound?.(round + 1);
  }
  return samples;
}

/** Median and range of `values`, rounded to `digits` decimals. */
export function spread(values: readonly number[], digits = 0): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10 ** digits) / 10 ** digits;
  const mid = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { median: round(mid), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), rounds: sorted.length };
}

/** Per-round ratios `a[i] / b[i]`: two figures of one round saw the same machine. */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / b[i]);
}
