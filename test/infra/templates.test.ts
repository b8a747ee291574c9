// What `cfn-lint` would catch first in our SAM templates (issue #15): a Lambda runtime AWS no longer
// lets you create functions with (E2533; nodejs20.x since 2026-06-01). cfn-lint itself comes from PyPI,
// which CI cannot reach, and Debian 12 does not package it; this checks the runtime of every function.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../harness/index.ts";

const SUPPORTED = ["nodejs24.x", "nodejs22.x"];
const TEMPLATES = ["infra/template.yaml", "tools/init/templates/lambda/template.yaml"];

interface Template {
  Globals?: { Function?: { Runtime?: string } };
  Resources: Record<string, { Type: string; Properties?: { Runtime?: string; InlineCode?: string } }>;
}

function functionRuntimes(file: string): Record<string, string | undefined> {
  // CloudFormation's short tags (!Ref, !Sub, !GetAtt) are kept as plain values; only Runtime matters here
  const template = parse(readFileSync(join(repoRoot, file), "utf8"), { logLevel: "silent" }) as Template;
  const runtimes: Record<string, string | undefined> = {};
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Type === "AWS::Serverless::Function") runtimes[name] = resource.Properties?.Runtime ?? template.Globals?.Function?.Runtime;
    if (resource.Type === "AWS::Lambda::Function") runtimes[name] = resource.Properties?.Runtime;
  }
  return runtimes;
}

describe.each(TEMPLATES)("%s", (file) => {
  it("declares at least one function", () => {
    expect(Object.keys(functionRuntimes(file)).length).toBeGreaterThan(0);
  });

  it("runs every function on a Node.js runtime Lambda still creates", () => {
    for (const [name, runtime] of Object.entries(functionRuntimes(file))) expect(SUPPORTED, `${name}: Runtime ${runtime}`).toContain(runtime);
  });
});
