// Where the build-time tools run from: this checkout under tsx, or the published package's compiled
// dist/lib (issue #15). The package build defines `__GATEHOUSE_PACKAGE__`; under tsx it is absent.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

declare const __GATEHOUSE_PACKAGE__: boolean | undefined;

/** True when running from the installed package, false in this repository. */
export const PACKAGED: boolean = typeof __GATEHOUSE_PACKAGE__ !== "undefined" && __GATEHOUSE_PACKAGE__;

/** The specifier generated policy modules import the runtime by, when built from the package. */
export const PACKAGE_POLICY_RUNTIME = "gatehouse/policy";

/**
 * The root of the package that is running: the installed `gatehouse` (found by its own name, which
 * its `exports` allow), or this checkout.
 */
export function packageRoot(): string {
  if (PACKAGED) return dirname(fileURLToPath(import.meta.resolve("gatehouse/package.json")));
  return resolve(dirname(fileURLToPath(import.meta.url)), "../..");
}
