/**
 * Cursor pagination shared by the list endpoints. A cursor is opaque to clients: base64url of a
 * small JSON object naming the last row of the previous page, so a page never depends on an
 * OFFSET that shifts while rows are written.
 */
import { z } from "zod";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/**
 * Over-large limits are clamped rather than refused: a client asking for "everything" still
 * gets a useful page and follows nextCursor for the rest.
 */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_LIMIT);
}

/** A cursor that does not decode, or does not fit the listing it was sent to. */
export class BadCursorError extends Error {
  constructor(message = "The cursor is not one this listing issued; start again without it.") {
    super(message);
  }
}

export function encodeCursor(value: Record<string, string | number>): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes and checks a cursor against the shape the listing expects; throws BadCursorError. */
export function decodeCursor<T>(cursor: string, shape: z.ZodType<T>): T {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new BadCursorError();
  let parsed: unknown;
  try {
    const b64 = cursor.replaceAll("-", "+").replaceAll("_", "/");
    const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new BadCursorError();
  }
  const result = shape.safeParse(parsed);
  if (!result.success) throw new BadCursorError();
  return result.data;
}

/**
 * Timestamps in cursors keep Postgres' microseconds: a JS Date would round them to
 * milliseconds and the next page would repeat or skip rows that share the millisecond.
 */
export const CursorTimestamp = z.string().regex(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
);

/**
 * An optional `cursor` query parameter: undefined when absent, the decoded value, or the
 * BadCursorError a route answers 400 with (`badCursor` in routes/api/schemas.ts).
 */
export function decodeOptionalCursor<T>(
  raw: string | undefined,
  shape: z.ZodType<T>,
): T | undefined | BadCursorError {
  if (raw === undefined) return undefined;
  try {
    return decodeCursor(raw, shape);
  } catch (e) {
    if (e instanceof BadCursorError) return e;
    throw e;
  }
}
