// The policy IR and its loader (issue #18): a policy set as data, turned into closures at load time.
export { loadPolicyIr } from "./load.ts";
export { PolicyIrError } from "./errors.ts";
export { readJsonIr } from "./json.ts";
export { POLICY_IR_FORMAT, POLICY_IR_FORMAT_VERSION } from "./ir.ts";
export type { ActionScopeIr, BinaryOp, ExprIr, JsonIr, JsonTree, PatternIr, PolicyIr, PolicyIrEntry, ScopeIr, UidIr } from "./ir.ts";
