/**
 * Why a request path was refused before any route was matched. A closed union, recorded in the
 * audit line; the client gets the same 403 as for an unmatched route.
 *
 * - `not_absolute`: the path does not start with `/` (asterisk-form or absolute-form targets).
 * - `path_too_long`: longer than `maxPathLength` characters or more than `maxSegments` segments.
 * - `nul_byte`: a NUL, raw or as `%00`; C-based origins stop reading there.
 * - `control_character`: another C0 control or DEL, raw or encoded.
 * - `encoded_separator`: `%2F`, `%5C` or a raw `\`: a separator some origins split on and we would not.
 * - `path_traversal`: a `.` or `..` segment, raw or encoded (`%2e%2e`), also with a `;` suffix (`..;`).
 * - `empty_segment`: `//` anywhere or a trailing `/`; refused rather than collapsed, because
 *   origins disagree on what `//admin` means.
 * - `double_encoding`: a segment that still holds `%XX` after one decoding (`%252e`); an origin that
 *   decodes again would see something else than the rules did.
 * - `bad_encoding`: a `%` not followed by two hex digits, or escapes that are not valid UTF-8.
 */
export type PathRefusalReason =
  | "not_absolute"
  | "path_too_long"
  | "nul_byte"
  | "control_character"
  | "encoded_separator"
  | "path_traversal"
  | "empty_segment"
  | "double_encoding"
  | "bad_encoding";

/** Why no route applies: the path was refused, or nothing matched the method and path. */
export type RouteFailureReason = PathRefusalReason | "no_route";
