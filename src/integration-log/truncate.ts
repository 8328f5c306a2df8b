/**
 * "Bodies truncated to a few KB": a row keeps the first BODY_LIMIT characters of a body and
 * says how much there was. Reading an answer for the log never reads more than that from the
 * network either, so a 5 MB `mode=query` document or a streamed counterparty directory costs
 * the log one chunk.
 */

/** Characters of a body kept in a row. */
export const BODY_LIMIT = 4096;

/** Ends a cut body: what follows was not kept. */
export function truncationMarker(totalBytes: number | null): string {
  return totalBytes === null ? "…[truncated]" : `…[truncated: ${totalBytes} bytes in all]`;
}

/** The start of a body as read from the network: maybe all of it, maybe not. */
export interface BodyHead {
  /** At most `limit` bytes of the body, decoded. */
  text: string;
  /** The body ended within what was read. */
  complete: boolean;
  /** The whole body's size when known (Content-Length, or everything was read). */
  totalBytes: number | null;
}

/**
 * The text a row keeps: the first `limit` characters, and the marker when there was more
 * (beyond the limit, or beyond what was read).
 */
export function clipBody(body: string | BodyHead, limit = BODY_LIMIT): string {
  const head: BodyHead = typeof body === "string"
    ? { text: body, complete: true, totalBytes: new TextEncoder().encode(body).length }
    : body;
  if (head.complete && head.text.length <= limit) return head.text;
  return head.text.slice(0, limit) + truncationMarker(head.totalBytes);
}

/**
 * Reads the start of a response body from a clone (the caller's response is left intact and
 * unread) and stops: the clone's stream is cancelled after `limit` bytes. The charset is the
 * one the Content-Type names (1C's answers may be windows-1251), UTF-8 otherwise. Rejects
 * like the body does (a stalled body that times out).
 */
export async function readBodyHead(res: Response, limit = BODY_LIMIT): Promise<BodyHead> {
  if (res.body === null) return { text: "", complete: true, totalBytes: 0 };
  const reader = res.clone().body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } finally {
    // Not awaited: a tee's branch settles its cancel only once the other branch (the
    // caller's) is cancelled or read too.
    if (!complete) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const bytes = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const c of chunks) {
    if (at >= bytes.length) break;
    const part = c.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
  }
  // Streaming mode for a cut body: a multi-byte character cut at the limit is held back
  // instead of becoming U+FFFD.
  const text = new TextDecoder(charsetOf(res.headers.get("content-type")))
    .decode(bytes, { stream: !complete });
  const length = Number(res.headers.get("content-length") ?? NaN);
  return {
    text,
    complete: complete && size <= limit,
    totalBytes: complete ? size : Number.isFinite(length) && length >= 0 ? length : null,
  };
}

function charsetOf(contentType: string | null): string {
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? "");
  const label = m?.[1].toLowerCase() ?? "utf-8";
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return "utf-8";
  }
}
