/**
 * An error's message with its causes: `fetch` says only "fetch failed" and keeps the reason
 * ("connection closed before message completed", "ECONNRESET") in `cause`, which is what an
 * operator needs to read in a sync log at 3 a.m.
 */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 4; depth++) {
    const message = cur instanceof Error ? cur.message : String(cur);
    if (message && !parts.includes(message)) parts.push(message);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(": ");
}
