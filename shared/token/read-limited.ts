// A response body read with its size cap enforced while reading (#21): `response.text()` buffers the
// whole body first, so an endpoint streaming without `content-length` could fill the memory before
// any check ran. Used for JWKS; discovery and introspection responses should read the same way.

/**
 * Reads `response`'s body as UTF-8 text, at most `maxBytes` bytes, while `signal` (the fetch's own
 * deadline) allows. A body that declares or turns out to be longer, that is cut off by the signal,
 * or that fails midway answers `undefined`, and its stream is cancelled: a hostile endpoint costs at
 * most `maxBytes` of memory and the fetch's deadline. Never throws.
 */
export async function readLimitedText(response: Response, maxBytes: number, signal: AbortSignal): Promise<string | undefined> {
  const body = response.body;
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (!(declared <= maxBytes)) {
    await body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (body === null) return "";
  const reader = body.getReader();
  // A read pending when the deadline passes ends at once (done), rather than when the next byte comes
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      if (signal.aborted) return undefined;
      const { done, value } = await reader.read();
      if (signal.aborted) return undefined;
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        stop();
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    stop();
    return undefined;
  } finally {
    signal.removeEventListener("abort", stop);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
