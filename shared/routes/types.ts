/**
 * One route as written in `policies/routes.json`: a method and a path pattern, mapped to a Cedar
 * action and resource, or marked public.
 *
 * Patterns are `/`-separated segments: a literal (matched exactly, case-sensitive), `:name` (one
 * non-empty segment, captured as the parameter `name`) or, as the last segment only, `*` (one or
 * more remaining segments, not captured). A literal beats a parameter, which beats `*`, whatever
 * the order in the file.
 */
export interface RouteSpec {
  /** HTTP method in upper case (`GET`); exact, so `HEAD` needs a route of its own. */
  readonly method: string;
  /** Path pattern, e.g. `/tenants/:tenant/orders/:id`. */
  readonly path: string;
  /** Name used by `failModes`, the audit line and `Decision.route`; default `METHOD /pattern`. */
  readonly name?: string;
  /** Allowed without a token and without policies (health checks). Such a route has no action or resource. */
  readonly public?: boolean;
  /** The Cedar action id, e.g. `ReadOrder` (type `Action`). Required unless `public`. */
  readonly action?: string;
  /** The Cedar resource. Required unless `public`. */
  readonly resource?: ResourceSpec;
  /**
   * Accept only sender-constrained tokens here: `dpop` (bound to a key, RFC 9449) or `mtls` (bound to
   * a client certificate, RFC 8705), as an issuer's `dpop.required` / `mtls.required` do for all its
   * routes. Default none: bound tokens are still checked, unbound ones accepted. Not on a public route.
   */
  readonly senderConstraint?: SenderConstraint;
}

/** What a route requires a token to be bound to. */
export type SenderConstraint = "dpop" | "mtls";

/**
 * A resource template. `{name}` in `id` and in attribute values is replaced by the path parameter
 * `:name` (its decoded text); every name must be a parameter of the route's pattern.
 */
export interface ResourceSpec {
  /** Cedar entity type, e.g. `Order` or `Shop::Order`. */
  readonly type: string;
  /** Entity id template, e.g. `{tenant}/{id}`. */
  readonly id: string;
  /** String attributes of the resource entity, each a template, e.g. `{ "tenant": "{tenant}" }`. */
  readonly attrs?: Readonly<Record<string, string>>;
}

/** The route file: `{ "routes": [...] }`. */
export interface RoutesFile {
  /** A note for readers of the file; ignored. */
  readonly $comment?: string;
  readonly routes: readonly RouteSpec[];
}

/** A template compiled to parts: literal text, or the index of a path parameter. */
export type Template = readonly (string | number)[];

/** A route checked and precomputed at start. */
export interface CompiledRoute {
  readonly name: string;
  readonly method: string;
  readonly pattern: string;
  readonly public: boolean;
  /** Parameter names in path order; `RouteMatch.params` holds their values at the same indexes. */
  readonly paramNames: readonly string[];
  /** The Cedar action, or `null` for a public route. */
  readonly action: { readonly type: "Action"; readonly id: string } | null;
  readonly resource: {
    readonly type: string;
    readonly id: Template;
    readonly attrs: readonly (readonly [string, Template])[];
  } | null;
  /** The binding the route requires of every token, or `null`. */
  readonly senderConstraint: SenderConstraint | null;
}

/** The routes of a configuration, with a lookup tree per method. Built once by `compileRoutes`. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[];
  /** @internal the lookup tree, per method. */
  readonly trees: ReadonlyMap<string, RouteNode>;
}

/** @internal one node of a method's lookup tree. */
export interface RouteNode {
  readonly literals: Map<string, RouteNode>;
  param: RouteNode | null;
  /** The route whose pattern ends here. */
  route: CompiledRoute | null;
  /** The route whose pattern ends with `*` here. */
  wildcard: CompiledRoute | null;
}

/** A matched route and its parameter values (decoded), in the order of `route.paramNames`. */
export interface RouteMatch {
  readonly route: CompiledRoute;
  readonly params: readonly string[];
}
