/**
 * Idempotency-Key on API writes (issue 7: "`Idempotency-Key` on every POST/PATCH: the same key
 * with the same body within 24 h replays the stored response; with a different body → 422").
 * Semantics of the IETF httpapi draft (draft-ietf-httpapi-idempotency-key-header), as Stripe
 * does it:
 *
 * - a key belongs to a caller (the API token: API_TOKENS may list several for one role, one per
 *   client), so two clients picking the same key never see each other's answers;
 * - the request is fingerprinted as sha256 of method, path (with query) and the body in a
 *   canonical form (JSON keys sorted, so formatting and key order do not matter); the same key
 *   with another fingerprint — another body, or another route — is a 422;
 * - only 2xx answers are stored and replayed (with `Idempotent-Replayed: true`). Every write
 *   route refuses before writing, so a 4xx changed nothing: the key stays free for the
 *   corrected request, and a retry after a 409 ("an import is running") or a 422 ("no
 *   credentials") gets the current answer instead of a stale refusal for 24 h. A 5xx or a
 *   thrown error releases the key too: the client's retry runs again, as it would without one;
 * - a second request while the first still runs gets 409 with `Retry-After`.
 *
 * Two ways to use it:
 * - `withIdempotency`: the key row is written in the transaction that does the work (POST
 *   /orders): the order and its stored answer commit together, and a concurrent retry blocks
 *   on the row until the first commits (then replays) or rolls back (then runs).
 * - `idempotencyKeys`: a middleware for every other write. It cannot hold a transaction across
 *   the handler, so it claims the key with a committed pending row, runs the handler, then
 *   stores the answer byte for byte (or releases the key). A pending row older than
 *   IDEMPOTENCY_STALE_CLAIM_SECONDS belongs to an instance that died mid-request: the same
 *   request takes it over.
 */
import type { Context, MiddlewareHandler } from "hono";
import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { Database } from "../../db/schema.ts";
import type { AppEnv } from "../context.ts";
import { problem } from "./problem.ts";

export const IDEMPOTENCY_TTL_HOURS = 24;
/** API requests take seconds; a claim this old was left by a crashed instance. */
export const IDEMPOTENCY_STALE_CLAIM_SECONDS = 300;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** Printable ASCII (a UUID is typical): keys go into logs and problem details as they are. */
const KEY_SHAPE = /^[\x20-\x7E]+$/;
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** Headers of a stored answer that a replay repeats; the rest are per response. */
const REPLAYED_HEADERS = ["content-type", "location"];
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Details of the refusals, the same from the middleware and from POST /orders. */
export const idempotencyDetail = {
  mismatch: (key: string) =>
    `Idempotency-Key ${key} was already used with a different request body (or on another ` +
    `route) within ${IDEMPOTENCY_TTL_HOURS} h; use a new key for a new request.`,
  inProgress: (key: string) =>
    `A request with Idempotency-Key ${key} is still in progress; retry when it has finished.`,
};

export interface KeyRef {
  scope: string;
  key: string;
  requestHash: string;
}

/**
 * The header's key; undefined when there is none; an Error (whose message is the problem
 * detail) when it is empty, too long or not printable ASCII.
 */
export function parseIdempotencyKey(raw: string | undefined): string | undefined | Error {
  if (raw === undefined) return undefined;
  if (raw.length < 1 || raw.length > IDEMPOTENCY_KEY_MAX_LENGTH || !KEY_SHAPE.test(raw)) {
    return new Error(
      `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters ` +
        `(a UUID, for example).`,
    );
  }
  return raw;
}

/** Whose keys these are: the API token's (see the module comment). */
export function idempotencyScope(c: Context<AppEnv>): string {
  return `token:${c.var.apiCaller}`;
}

/**
 * sha256 of method, path with query, and the body (canonical JSON when it is JSON, else its
 * text). Reads the body through Hono's cache: the validator after it gets the same text.
 */
export async function requestFingerprint(c: Context<AppEnv>): Promise<string> {
  const url = new URL(c.req.url);
  const text = c.req.raw.body === null ? "" : await c.req.text();
  let body = text;
  if (/json/i.test(c.req.header("content-type") ?? "")) {
    try {
      body = canonicalJson(JSON.parse(text));
    } catch {
      // Not JSON after all: the raw text identifies it; the validator will refuse it.
    }
  }
  return await sha256Hex(`${c.req.method} ${url.pathname}${url.search}\n${body}`);
}

/** JSON with object keys sorted. Bodies reach it after src/http/json-limits.ts (≤ 32 levels). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------------------------
// Transactional: the key row in the transaction of the work (POST /orders)

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotencyOutcome =
  | { kind: "fresh"; status: number; body: unknown }
  | { kind: "replayed"; status: number; body: unknown }
  | { kind: "mismatch" }
  | { kind: "in-progress" };

/** Thrown inside the transaction to roll back work whose result must not be kept. */
class DoNotStore extends Error {
  constructor(readonly response: StoredResponse) {
    super("not stored");
  }
}

/**
 * Runs `work` once per (scope, key). `work` returns the response and whether it is final:
 * failures that the client is expected to correct (4xx) are not stored (and their work is
 * rolled back), so the key can be used again with a corrected body.
 */
export async function withIdempotency(
  db: Db,
  key: KeyRef,
  work: (tx: Transaction<Database>) => Promise<StoredResponse & { store: boolean }>,
): Promise<IdempotencyOutcome> {
  let outcome: IdempotencyOutcome;
  try {
    outcome = await db.transaction().execute(async (tx) => {
      // Insert, or take over a row older than the TTL; a live row is left alone. A
      // concurrent request with the same key waits here until this transaction ends.
      const mine = await sql<{ scope: string }>`
        INSERT INTO idempotency_keys (scope, key, request_hash)
        VALUES (${key.scope}, ${key.key}, ${key.requestHash})
        ON CONFLICT (scope, key) DO UPDATE
          SET request_hash = excluded.request_hash, claim = NULL, response_status = NULL,
              response_body = NULL, response_text = NULL, response_headers = NULL,
              created_at = now()
          WHERE idempotency_keys.created_at
                < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
        RETURNING scope
      `.execute(tx);
      if (mine.rows.length === 0) {
        const existing = await tx.selectFrom("idempotency_keys")
          .select(["request_hash", "response_status", "response_body"])
          .where("scope", "=", key.scope).where("key", "=", key.key)
          .executeTakeFirstOrThrow();
        if (existing.request_hash !== key.requestHash) return { kind: "mismatch" } as const;
        if (existing.response_status === null) return { kind: "in-progress" } as const;
        return {
          kind: "replayed",
          status: existing.response_status,
          body: existing.response_body,
        } as const;
      }
      const result = await work(tx);
      if (!result.store) throw new DoNotStore(result);
      await sql`
        UPDATE idempotency_keys
        SET response_status = ${result.status}, response_body = ${JSON.stringify(result.body)}
        WHERE scope = ${key.scope} AND key = ${key.key}
      `.execute(tx);
      return { kind: "fresh", status: result.status, body: result.body } as const;
    });
  } catch (e) {
    if (!(e instanceof DoNotStore)) throw e;
    return { kind: "fresh", ...e.response };
  }
  await pruneExpired(db);
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Claim, store, release: the middleware's steps

interface ReplayableResponse {
  status: number;
  text: string;
  headers: Record<string, string>;
}

type Claim =
  | { kind: "claimed"; claim: string }
  | { kind: "replay"; response: ReplayableResponse }
  | { kind: "mismatch" }
  | { kind: "in-progress" };

/** Claims the key for this request, or says what became of the earlier one. */
export async function claimKey(db: Db, ref: KeyRef): Promise<Claim> {
  // A row can disappear between the insert and the read (its request failed and released
  // it); then the insert is tried again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const claim = crypto.randomUUID();
    // Take over an expired row, or a stale pending one of the same request (its instance
    // died); anything else stays with its holder.
    const mine = await sql<{ claim: string }>`
      INSERT INTO idempotency_keys (scope, key, request_hash, claim)
      VALUES (${ref.scope}, ${ref.key}, ${ref.requestHash}, ${claim})
      ON CONFLICT (scope, key) DO UPDATE
        SET request_hash = excluded.request_hash, claim = excluded.claim,
            response_status = NULL, response_body = NULL, response_text = NULL,
            response_headers = NULL, created_at = now()
        WHERE idempotency_keys.created_at
              < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
           OR (idempotency_keys.response_status IS NULL
               AND idempotency_keys.request_hash = excluded.request_hash
               AND idempotency_keys.created_at
                   < now() - make_interval(secs => ${IDEMPOTENCY_STALE_CLAIM_SECONDS}))
      RETURNING claim
    `.execute(db);
    if (mine.rows.length > 0) return { kind: "claimed", claim };
    const existing = await db.selectFrom("idempotency_keys")
      .select([
        "request_hash",
        "response_status",
        "response_body",
        "response_text",
        "response_headers",
      ])
      .where("scope", "=", ref.scope).where("key", "=", ref.key)
      .executeTakeFirst();
    if (!existing) continue;
    if (existing.request_hash !== ref.requestHash) return { kind: "mismatch" };
    if (existing.response_status === null) return { kind: "in-progress" };
    return {
      kind: "replay",
      response: {
        status: existing.response_status,
        // A row written by withIdempotency holds JSON instead of the text.
        text: existing.response_text ??
          (existing.response_body === null ? "" : JSON.stringify(existing.response_body)),
        headers: existing.response_headers ?? { "content-type": "application/json" },
      },
    };
  }
  return { kind: "in-progress" };
}

/** Stores the answer under the claim; false when the claim was taken over meanwhile. */
export async function storeResponse(
  db: Db,
  ref: KeyRef,
  claim: string,
  response: ReplayableResponse,
): Promise<boolean> {
  const r = await db.updateTable("idempotency_keys")
    .set({
      response_status: response.status,
      response_text: response.text,
      response_headers: JSON.stringify(response.headers),
    })
    .where("scope", "=", ref.scope).where("key", "=", ref.key).where("claim", "=", claim)
    .executeTakeFirst();
  await pruneExpired(db);
  return r.numUpdatedRows > 0n;
}

/** Frees the key for the next request (only if this claim still holds it). */
export async function releaseKey(db: Db, ref: KeyRef, claim: string): Promise<void> {
  await db.deleteFrom("idempotency_keys")
    .where("scope", "=", ref.scope).where("key", "=", ref.key).where("claim", "=", claim)
    .where("response_status", "is", null)
    .execute();
}

/** Bounded cleanup on the write path: expired keys never pile up, no scheduler needed. */
async function pruneExpired(db: Db): Promise<void> {
  await sql`
    DELETE FROM idempotency_keys WHERE (scope, key) IN (
      SELECT scope, key FROM idempotency_keys
      WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
      LIMIT 100)
  `.execute(db);
}

// ---------------------------------------------------------------------------------------------
// The middleware

/**
 * "METHOD /path" with `{name}` for a path parameter, as in the OpenAPI document
 * (e.g. "POST /api/v1/orders", "PUT /api/v1/warehouses/{id}").
 */
export type RoutePattern = `${"POST" | "PUT" | "PATCH" | "DELETE"} /${string}`;

function routeMatcher(
  patterns: readonly RoutePattern[],
): (method: string, path: string) => boolean {
  const compiled = patterns.map((p) => {
    const [method, path] = p.split(" ");
    const source = path.split(/\{[^}/]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
      .join("[^/]+");
    return { method, path: new RegExp(`^${source}$`) };
  });
  return (method, path) => compiled.some((r) => r.method === method && r.path.test(path));
}

export interface IdempotencyMiddlewareOptions {
  /** Routes that handle the key themselves, transactionally (withIdempotency). */
  inRoute: readonly RoutePattern[];
  /** Routes whose bodies are streamed, not buffered, so not hashed: the key is ignored. */
  notHonoured: readonly RoutePattern[];
}

/**
 * Idempotency-Key for every write under the API, registered after authentication (the scope
 * is the caller) and after the body and JSON limits (the body is read whole, and bounded).
 */
export function idempotencyKeys(
  db: Db,
  opts: IdempotencyMiddlewareOptions,
): MiddlewareHandler<AppEnv> {
  const ignored = routeMatcher(opts.notHonoured);
  const inRoute = routeMatcher(opts.inRoute);
  return async (c, next) => {
    const method = c.req.method;
    const raw = c.req.header("idempotency-key");
    if (raw === undefined || !WRITE_METHODS.has(method) || ignored(method, c.req.path)) {
      return await next();
    }
    const key = parseIdempotencyKey(raw);
    if (key instanceof Error) {
      return problem(c, 400, key.message, {
        issues: [{ path: "Idempotency-Key", message: key.message }],
      });
    }
    if (key === undefined || inRoute(method, c.req.path)) return await next();

    const ref: KeyRef = {
      scope: idempotencyScope(c),
      key,
      requestHash: await requestFingerprint(c),
    };
    const claimed = await claimKey(db, ref);
    switch (claimed.kind) {
      case "mismatch":
        return problem(c, 422, idempotencyDetail.mismatch(key));
      case "in-progress":
        c.header("Retry-After", "1");
        return problem(c, 409, idempotencyDetail.inProgress(key));
      case "replay":
        c.var.log.info({ idempotencyKey: key }, "idempotent replay");
        return replay(claimed.response);
    }

    try {
      await next();
    } catch (e) {
      await releaseKey(db, ref, claimed.claim);
      throw e;
    }
    const res = c.res;
    if (res.status < 200 || res.status > 299) {
      await releaseKey(db, ref, claimed.claim);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    try {
      const stored = await storeResponse(db, ref, claimed.claim, {
        status: res.status,
        text: await res.clone().text(),
        headers,
      });
      if (!stored) {
        c.var.log.warn({ idempotencyKey: key }, "idempotency claim was taken over; not stored");
      }
    } catch (e) {
      // The work is done: answer it. The pending row makes a retry wait (409) until the
      // stale-claim timeout, then run again.
      c.var.log.error({ err: (e as Error).message, idempotencyKey: key }, "storing failed");
    }
  };
}

function replay(stored: ReplayableResponse): Response {
  const noBody = stored.status === 204 || stored.status === 205 || stored.text === "";
  return new Response(noBody ? null : stored.text, {
    status: stored.status,
    headers: { ...stored.headers, [REPLAYED_HEADER]: "true" },
  });
}
