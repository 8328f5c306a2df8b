/** Shared by the customers tests: API calls with the development tokens, waiting on state. */
import type { Harness } from "../helpers/harness.ts";

export const TOKENS = {
  admin: "dev-admin-token",
  platform: "dev-platform-token",
  reader: "dev-reader-token",
} as const;

export type Role = keyof typeof TOKENS;

export function api(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  role: Role = "platform",
): Promise<Response> {
  return Promise.resolve(h.app.request(path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKENS[role]}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
}

/** The JSON of a response that must have `status`; the body is shown when it has not. */
// deno-lint-ignore no-explicit-any
export async function expect(res: Response, status: number): Promise<any> {
  const text = await res.text();
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

/**
 * Waits until `check` holds. The deadline only keeps a broken test from hanging; nothing is
 * asserted about how long it took.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | false | null | undefined>,
  deadlineMs = 30_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const SAMPLES = new URL("../../../shared/samples/commerceml/", import.meta.url);

export async function* bytesOf(text: string, chunk = 97): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  // Small chunks: multi-byte Cyrillic and tags are split across writes.
  for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
}

export async function* fileBytes(url: URL): AsyncIterable<Uint8Array> {
  yield await Deno.readFile(url);
}
