// The dev signing key shared by `gatehouse dev` (which serves its JWKS) and `gatehouse token`
// (which signs with it). Dev only: never configure this key for a deployed function.
export { DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_FILE, loadDevKey, type DevKey, type LoadDevKeyOptions } from "./load.ts";
