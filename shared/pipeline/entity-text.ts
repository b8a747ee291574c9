import type { EntityRef } from "../routes/resolve.ts";

// A route's action is one frozen object for every request of the route (routes/compile.ts): its
// text is made once (#22). An object that is not frozen could change, so it is not remembered.
const actionTexts = new WeakMap<EntityRef, string>();

/** `Action::"id"`, as the audit line writes a request's action; remembered per action object. */
export function actionText(action: EntityRef): string {
  let text = actionTexts.get(action);
  if (text === undefined) {
    text = `Action::${JSON.stringify(action.id)}`;
    if (Object.isFrozen(action)) actionTexts.set(action, text);
  }
  return text;
}

// The last resource and its text: consecutive requests often name the same one (a client polling
// an order), and the audit line then finds its text already checked
let lastResourceType = "";
let lastResourceId = "";
let lastResourceText = "";

/** `Type::"id"`, as the audit line writes a request's resource. */
export function resourceText(resource: EntityRef): string {
  const { type, id } = resource;
  if (id !== lastResourceId || type !== lastResourceType || lastResourceText === "") {
    lastResourceText = `${type}::${JSON.stringify(id)}`;
    lastResourceType = type;
    lastResourceId = id;
  }
  return lastResourceText;
}
