/**
 * Idempotency-Key for API writes (the IETF httpapi draft's semantics, as Stripe does it):
 * the first request with a key runs and its response is stored in the same transaction as
 * its effect; the same key with the same body within 24 h gets that response again without
 * running; the same key with another body is refused. Generic: `scope` names the operation,
 * so any route can use it.
 *
 * Concurrency: the key row is inserted first, inside the transaction that does the work. A
 * second request with the same key blocks on that row until the first commits (then it
 * replays) or rolls back (then it runs itself) — never both running.
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { Database } from "../../db/schema.ts";

export const IDEMPOTENCY_TTL_HOURS = 24;

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
 * failures that the client is expected to correct (4xx) are not stored, so the key can be
 * used again with a corrected body.
 */
export async function withIdempotency(
  db: Db,
  key: { scope: string; key: string; requestHash: string },
  work: (tx: Transaction<Database>) => Promise<StoredResponse & { store: boolean }>,
): Promise<IdempotencyOutcome> {
  let outcome: IdempotencyOutcome;
  try {
    outcome = await db.transaction().execute(async (tx) => {
      // Insert, or take over a row older than the TTL; a live row is left alone.
      const mine = await sql<{ scope: string }>`
        INSERT INTO idempotency_keys (scope, key, request_hash)
        VALUES (${key.scope}, ${key.key}, ${key.requestHash})
        ON CONFLICT (scope, key) DO UPDATE
          SET request_hash = excluded.request_hash, response_status = NULL,
              response_body = NULL, created_at = now()
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

/** Bounded cleanup on the write path: expired keys never pile up, no scheduler needed. */
async function pruneExpired(db: Db): Promise<void> {
  await sql`
    DELETE FROM idempotency_keys WHERE (scope, key) IN (
      SELECT scope, key FROM idempotency_keys
      WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
      LIMIT 100)
  `.execute(db);
}

/** sha256 of the body in a canonical form (keys sorted), so formatting does not matter. */
export async function requestHash(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

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
