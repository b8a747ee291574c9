// The dev issuer's names, apart from the key code, so a command's usage text can show them
// without loading jose (`gatehouse --help` loads every command).
/** Issuer (`iss`) of dev tokens; the example policy tests use the same value. */
export const DEV_ISSUER = "https://dev.gatehouse.local";
/** Audience (`aud`) of dev tokens. */
export const DEV_AUDIENCE = "gatehouse-demo";
/** Where the dev key lives, relative to the project directory (git-ignored). */
export const DEV_KEY_FILE = ".gatehouse/dev-key.json";
