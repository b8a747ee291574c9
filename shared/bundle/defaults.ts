// The bundle defaults alone: the CLI's flags and usage read them without loading the format's schema.

/** Default cap on a stored bundle, in bytes of JWS text: 4 MiB. */
export const DEFAULT_BUNDLE_MAX_BYTES = 4 * 1024 * 1024;

/** Default key prefix of the bundle store. */
export const DEFAULT_BUNDLE_PREFIX = "gatehouse:bundle:";
