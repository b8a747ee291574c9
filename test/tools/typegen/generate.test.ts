import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { loadProject } from "../../../tools/analysis/index.ts";
import { generateTypes } from "../../../tools/typegen/index.ts";
import { repoRoot } from "../../harness/index.ts";

const loaded = loadProject(join(repoRoot, "policies"));
if (!loaded.ok) throw new Error("example project does not load");
const source = generateTypes(loaded.project.schema, { source: "schema.cedarschema" });

/** Type-checks `usage` against the generated types; returns the error messages. */
function typeErrors(usage: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-types-"));
  try {
    writeFileSync(join(dir, "policy-types.ts"), source);
    writeFileSync(join(dir, "usage.ts"), usage);
    const program = ts.createProgram([join(dir, "usage.ts")], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, types: [] });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const VALID = `import type { GatehouseRequest, UserEntity, ActionName } from "./policy-types.ts";
export const request: GatehouseRequest = {
  principal: { type: "User", id: "vera" },
  action: { type: "Action", id: "ReadOrder" },
  resource: { type: "Order", id: "acme/o-1" },
  context: { scopes: ["orders:read"], amr: [], ip: { __extn: { fn: "ip", arg: "10.0.0.1" } } },
};
export const user: UserEntity = { uid: { type: "User", id: "vera" }, attrs: { tenant: "acme", suspended: false }, parents: [{ type: "Role", id: "viewer" }] };
export const action: ActionName = "DeleteOrder";
`;

describe("generated types", () => {
  it("is deterministic and names every entity type and action", () => {
    expect(generateTypes(loaded.project.schema, { source: "schema.cedarschema" })).toBe(source);
    for (const name of ["UserEntity", "RoleEntity", "OrderEntity", "OrderCollectionEntity", "AuditLogEntity", "ListOrdersRequest", "ReadAuditLogContext"]) {
      expect(source).toContain(`export interface ${name} `);
    }
  });

  it("a well-formed request and entity type-check", () => {
    expect(typeErrors(VALID)).toEqual([]);
  }, 60_000);

  it("a request with the wrong context, resource type or attribute type does not", () => {
    const errors = typeErrors(`import type { ReadOrderRequest, UserEntity } from "./policy-types.ts";
export const a: ReadOrderRequest = { principal: { type: "User", id: "v" }, action: { type: "Action", id: "ReadOrder" }, resource: { type: "Order", id: "x" }, context: { scopes: "orders:read", amr: [] } };
export const b: ReadOrderRequest = { principal: { type: "User", id: "v" }, action: { type: "Action", id: "ReadOrder" }, resource: { type: "AuditLog", id: "x" }, context: { scopes: [], amr: [] } };
export const c: UserEntity = { uid: { type: "User", id: "v" }, attrs: { tenant: "acme", suspended: "no" } };
`);
    expect(errors).toHaveLength(3);
    expect(errors.join("\n")).toMatch(/'string' is not assignable to type 'string\[\]'/);
    expect(errors.join("\n")).toMatch(/"AuditLog"/);
    expect(errors.join("\n")).toMatch(/'string' is not assignable to type 'boolean'/);
  }, 60_000);
});
