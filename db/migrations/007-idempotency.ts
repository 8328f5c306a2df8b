/**
 * Idempotency-Key on every API write (issue 7: "the same key with the same body within 24 h
 * replays the stored response; with a different body → 422").
 *
 * 002 created idempotency_keys for POST /orders, which stores its answer as JSON in the
 * transaction of its work. Every other write is covered by a middleware that cannot hold a
 * transaction open across the handler: it claims the key first (a committed row with no
 * response yet), runs the handler, then stores the answer exactly as sent, or releases the
 * key. That needs:
 * - claim: who holds a pending row, so a slow request whose row was taken over (after
 *   src/http/idempotency.ts's stale-claim timeout) cannot store over or delete the new
 *   holder's row;
 * - response_text, response_headers: the body byte for byte and the headers a replay must
 *   repeat (Content-Type, Location); response_body (jsonb) would reorder keys.
 * The scope column now names the caller (the token's role); the request hash covers method,
 * path and body, so a key reused on another route is a 422 rather than a silent replay.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE idempotency_keys
      ADD COLUMN claim uuid,
      ADD COLUMN response_text text,
      ADD COLUMN response_headers jsonb;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE idempotency_keys
      DROP COLUMN claim,
      DROP COLUMN response_text,
      DROP COLUMN response_headers;
  `.execute(db);
}
