import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { compileRoutes, matchRoute, normalizePath, resolveRequest } from "../../../shared/routes/index.ts";

const exampleRoutes = JSON.parse(readFileSync(new URL("../../../policies/routes.json", import.meta.url), "utf8"));

function match(table: ReturnType<typeof compileRoutes>, method: string, path: string) {
  const normalized = normalizePath(path);
  if (!normalized.ok) throw new Error(`path refused: ${normalized.reason}`);
  return matchRoute(table, method, normalized.segments);
}

function configError(spec: unknown): ConfigError {
  try {
    compileRoutes(spec);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("matchRoute: the example route table", () => {
  const table = compileRoutes(exampleRoutes);

  it("matches a parameterised route and captures its parameters in order", () => {
    const found = match(table, "GET", "/tenants/acme/orders/o-17");
    expect(found?.route.name).toBe("GET /tenants/:tenant/orders/:id");
    expect(found?.params).toEqual(["acme", "o-17"]);
  });

  it("matches by method", () => {
    expect(match(table, "POST", "/tenants/acme/orders")?.route.action).toEqual({ type: "Action", id: "CreateOrder" });
    expect(match(table, "DELETE", "/tenants/acme/orders")).toBeNull();
  });

  it("marks public routes", () => {
    expect(match(table, "GET", "/health")?.route.public).toBe(true);
  });

  it("answers null for an unmatched path", () => {
    expect(match(table, "GET", "/tenants/acme")).toBeNull();
    expect(match(table, "GET", "/")).toBeNull();
    expect(match(table, "GET", "/tenants/acme/orders/o-17/extra")).toBeNull();
  });

  it("matches literal segments case-sensitively", () => {
    expect(match(table, "GET", "/ADMIN/audit")).toBeNull();
    expect(match(table, "GET", "/Health")).toBeNull();
  });

  it("treats methods as exact upper-case strings", () => {
    expect(match(table, "get", "/health")).toBeNull();
    expect(match(table, "HEAD", "/health")).toBeNull();
  });

  it("maps a route to its Cedar action and resource with decoded parameters", () => {
    const found = match(table, "GET", "/tenants/ac%20me/orders/o-17");
    expect(resolveRequest(found!)).toEqual({
      action: { type: "Action", id: "ReadOrder" },
      resource: { type: "Order", id: "ac me/o-17" },
      resourceEntity: { uid: { type: "Order", id: "ac me/o-17" }, attrs: { tenant: "ac me" }, parents: [] },
    });
  });

  it("answers no request for a public route", () => {
    expect(resolveRequest(match(table, "GET", "/health")!)).toBeNull();
  });
});

describe("matchRoute: precedence", () => {
  const table = compileRoutes([
    { method: "GET", path: "/files/:name", action: "Read", resource: { type: "File", id: "{name}" } },
    { method: "GET", path: "/files/latest", action: "ReadLatest", resource: { type: "File", id: "latest" } },
    { method: "GET", path: "/files/:name/raw", action: "Raw", resource: { type: "File", id: "{name}" } },
    { method: "GET", path: "/static/*", public: true },
    { method: "GET", path: "/static/special/:x", action: "Special", resource: { type: "File", id: "{x}" } },
  ]);

  it("prefers a literal over a parameter whatever the file order", () => {
    expect(match(table, "GET", "/files/latest")?.route.action?.id).toBe("ReadLatest");
    expect(match(table, "GET", "/files/other")?.route.action?.id).toBe("Read");
  });

  it("backtracks from a literal branch that does not complete", () => {
    expect(match(table, "GET", "/files/latest/raw")?.route.action?.id).toBe("Raw");
  });

  it("matches `*` against one or more remaining segments only", () => {
    expect(match(table, "GET", "/static/a/b/c")?.route.public).toBe(true);
    expect(match(table, "GET", "/static")).toBeNull();
    expect(match(table, "GET", "/static/special/1")?.route.action?.id).toBe("Special");
    expect(match(table, "GET", "/static/special/1/2")?.route.public).toBe(true);
  });
});

describe("compileRoutes: configuration errors", () => {
  it("accepts the array alone", () => {
    expect(compileRoutes([{ method: "GET", path: "/", public: true }]).routes).toHaveLength(1);
  });

  it("keeps a route's sender constraint, none by default", () => {
    const table = compileRoutes([
      { method: "GET", path: "/a", action: "R", resource: { type: "A", id: "x" }, senderConstraint: "dpop" },
      { method: "GET", path: "/b", action: "R", resource: { type: "A", id: "x" }, senderConstraint: "mtls" },
      { method: "GET", path: "/c", action: "R", resource: { type: "A", id: "x" } },
    ]);
    expect(table.routes.map((route) => route.senderConstraint)).toEqual(["dpop", "mtls", null]);
  });

  it("refuses a file without a routes array", () => {
    const error = configError({ rules: [] });
    expect(error.field).toBe("routes");
    expect(error.message).toBe("routes: expected an array of routes, got nothing");
  });

  const cases: [string, unknown, string, RegExp][] = [
    ["a lower-case method", { method: "get", path: "/a", public: true }, "routes[0].method", /upper-case http method/],
    ["a pattern without a leading slash", { method: "GET", path: "a", public: true }, "routes[0].path", /starting with `\/`/],
    ["an empty segment in a pattern", { method: "GET", path: "/a//b", public: true }, "routes[0].path", /literals, `:name` or a final `\*`/],
    ["a dot segment in a pattern", { method: "GET", path: "/a/../b", public: true }, "routes[0].path", /got `\.\.`/],
    ["a `*` before the end", { method: "GET", path: "/a/*/b", public: true }, "routes[0].path", /only as the last segment/],
    ["a repeated parameter", { method: "GET", path: "/:a/:a", public: true }, "routes[0].path", /`:a` twice/],
    ["a protected route without action", { method: "GET", path: "/a", resource: { type: "A", id: "x" } }, "routes[0].action", /cedar action id/],
    ["a protected route without resource", { method: "GET", path: "/a", action: "Read" }, "routes[0].resource", /resource `\{ type, id, attrs\? \}`/],
    ["a public route with an action", { method: "GET", path: "/a", public: true, action: "Read" }, "routes[0].action", /no action or resource on a public route/],
    ["a bad entity type", { method: "GET", path: "/a", action: "R", resource: { type: "Not A Type", id: "x" } }, "routes[0].resource.type", /cedar entity type/],
    ["a template naming an unknown parameter", { method: "GET", path: "/a/:id", action: "R", resource: { type: "A", id: "{nope}" } }, "routes[0].resource.id", /got `\{nope\}`/],
    ["an unbalanced template", { method: "GET", path: "/a/:id", action: "R", resource: { type: "A", id: "{id" } }, "routes[0].resource.id", /balanced/],
    ["a non-string attribute template", { method: "GET", path: "/a/:id", action: "R", resource: { type: "A", id: "{id}", attrs: { n: 1 } } }, "routes[0].resource.attrs.n", /string template/],
    ["an unknown route option", { method: "GET", path: "/a", public: true, pubic: true }, "routes[0].pubic", /^routes\[0\]\.pubic: unknown option `pubic`; expected one of `method`, `path`, `name`, `public`, `action`, `resource`, `senderConstraint`$/],
    ["a non-boolean public", { method: "GET", path: "/a", public: "yes" }, "routes[0].public", /`true` or `false`/],
    ["an unknown sender constraint", { method: "GET", path: "/a", action: "R", resource: { type: "A", id: "x" }, senderConstraint: "bearer" }, "routes[0].senderConstraint", /`dpop` or `mtls`, got `bearer`/],
    ["a sender constraint on a public route", { method: "GET", path: "/a", public: true, senderConstraint: "dpop" }, "routes[0].senderConstraint", /no sender constraint on a public route/],
  ];
  for (const [title, route, field, message] of cases) {
    it(`refuses ${title}, naming \`${field}\``, () => {
      const error = configError({ routes: [route] });
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    });
  }

  it("refuses two routes of the same method and shape", () => {
    const error = configError([
      { method: "GET", path: "/a/:x", public: true },
      { method: "GET", path: "/a/:y", public: true },
    ]);
    expect(error.field).toBe("routes[1].path");
    expect(error.message).toMatch(/one route per method and path shape/);
  });

  it("refuses two routes with the same name", () => {
    const error = configError([
      { method: "GET", path: "/a", public: true, name: "x" },
      { method: "GET", path: "/b", public: true, name: "x" },
    ]);
    expect(error.field).toBe("routes[1].name");
  });

  it("leaves the caller's object alone", () => {
    const spec = structuredClone(exampleRoutes);
    compileRoutes(spec);
    expect(spec).toEqual(exampleRoutes);
  });
});
