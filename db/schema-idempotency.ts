/**
 * Kysely types of the Idempotency-Key store (db/migrations/002-orders.ts created the table,
 * db/migrations/007-idempotency.ts added what the generic middleware needs).
 */
import type { ColumnType } from "kysely";

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface IdempotencyKeyTable {
  /** Whose key: the caller (the API token's role). */
  scope: string;
  key: string;
  /** sha256 of method, path and canonical body: the same key must come with the same request. */
  request_hash: string;
  /** null while the first request runs (pending); its answer once stored. */
  response_status: number | null;
  /** POST /orders (transactional): the answer as JSON. */
  response_body: ColumnType<unknown, string | null | undefined, string | null>;
  /** The middleware's holder of a pending row (a random uuid per claim). */
  claim: string | null;
  /** The middleware's answer: the body as sent, and the headers a replay repeats. */
  response_text: string | null;
  response_headers: ColumnType<
    Record<string, string> | null,
    string | null | undefined,
    string | null
  >;
  /** When the key was claimed; the 24 h replay window and the stale-claim timeout count from it. */
  created_at: DefaultTimestamp;
}

export interface IdempotencyTables {
  idempotency_keys: IdempotencyKeyTable;
}
