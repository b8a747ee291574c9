// Colour for CLI output, only when the stream is a terminal: piped output and CI logs stay plain.
// NO_COLOR (https://no-color.org) turns it off, FORCE_COLOR turns it on.

/** Wraps text in ANSI colours when `stream` is a TTY; otherwise returns it unchanged. */
export interface Paint {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** A `Paint` for `stream` (default stdout). */
export function paintFor(stream: { isTTY?: boolean } = process.stdout): Paint {
  const env = process.env;
  const enabled = env.NO_COLOR ? false : env.FORCE_COLOR ? env.FORCE_COLOR !== "0" : stream.isTTY === true;
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { enabled, red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}
