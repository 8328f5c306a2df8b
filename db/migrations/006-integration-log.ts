/**
 * The integration log (issue 7): "every exchange request (mode, file, answer, duration), every
 * outbound call to the 1C HTTP service and to the marketplaces (method, URL, status, duration,
 * request id, bodies truncated to a few KB, secrets masked) is recorded and queryable …,
 * pruned after 90 days (configurable)."
 *
 * One row per HTTP exchange, written once when it ended (src/integration-log/recorder.ts);
 * rows are never updated. Bodies arrive here already masked and cut to a few KB.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE integration_log (
      id bigserial PRIMARY KEY,
      -- When the request started (the service's clock).
      at timestamptz NOT NULL DEFAULT now(),
      kind text NOT NULL CHECK (kind IN ('exchange', 'onec-http', 'ozon', 'wildberries')),
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      method text NOT NULL,
      -- Credentials in the URL (user info, sessid=, token=, key=…) are masked.
      url text NOT NULL,
      -- 1C's exchange: type=, mode= and filename= of the request.
      exchange_type text,
      mode text,
      file text,
      -- success / failure / progress: the protocol's (or, outbound, 2xx / any other HTTP
      -- status); error: no answer at all (timeout, reset, refused) or an internal error.
      status text NOT NULL CHECK (status IN ('success', 'failure', 'progress', 'error')),
      http_status integer,
      duration_ms integer NOT NULL,
      -- The X-Request-Id of the request (inbound) or of the request that caused the call.
      request_id text,
      -- What an outbound call was for: "customer <id>", "stock-sync run <id>".
      ref text,
      client_ip text,
      -- Size of the request body; the bytes of an exchange upload are never stored.
      request_bytes bigint,
      request_body text,
      response_body text,
      error text
    );
    -- Every listing is newest first, optionally narrowed by kind or status, and pruning
    -- walks the oldest: each is an index range scan.
    CREATE INDEX integration_log_at ON integration_log (at DESC, id DESC);
    CREATE INDEX integration_log_kind ON integration_log (kind, at DESC, id DESC);
    CREATE INDEX integration_log_status ON integration_log (status, at DESC, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS integration_log`.execute(db);
}
