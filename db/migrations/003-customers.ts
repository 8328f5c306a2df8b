/**
 * The customers tables: platform customers linked to 1C counterparties, the sync log, the
 * conflicts waiting for a person, and the audit of counterparty imports.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE customers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text,
      -- trim + lower case, computed by the service (src/customers/customer-fields.ts): identity
      -- resolution matches on it and it is unique.
      email_normalized text,
      phone text,
      -- E.164 (+79123456789), computed by the service; with the name, the third identity key.
      phone_e164 text,
      first_name text,
      last_name text,
      company_name text,
      tax_id text,
      kpp text,
      customer_type text NOT NULL CHECK (customer_type IN ('individual', 'legal_entity')),
      -- The price group: decides which prices 1C gives the customer.
      role text,
      contact_person text,
      address text,
      onec_id text UNIQUE,
      -- НомерВерсии and 1C's time (ДатаФормирования) of the 1C data we last took.
      onec_version text,
      onec_changed_at timestamptz,
      sync_status text NOT NULL DEFAULT 'pending'
        CHECK (sync_status IN ('pending', 'synced', 'error', 'conflict')),
      sync_error_message text,
      last_sync_at timestamptz,
      -- First time 1C confirmed the customer: registration-to-synced time in the stats.
      first_synced_at timestamptz,
      created_in_1c boolean NOT NULL DEFAULT false,
      needs_1c_export boolean NOT NULL DEFAULT false,
      -- Who changed the customer last: 1C's changes are never sent back to 1C, and a field
      -- mismatch on import goes to the later of the platform's change and 1C's.
      last_change_source text NOT NULL CHECK (last_change_source IN ('platform', '1c')),
      -- sha256 of the significant fields as 1C has them (sent and acknowledged, or imported).
      -- needs_1c_export is "the current significant fields differ from this".
      onec_fields_hash text,
      -- sha256 of the last counterparty record applied: a re-import of it changes nothing.
      import_hash text,
      -- Set when the export job gave up (retries exhausted) and went to the dead letter queue.
      export_dead_lettered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX customers_email ON customers (email_normalized)
      WHERE email_normalized IS NOT NULL;
    CREATE INDEX customers_phone ON customers (phone_e164) WHERE phone_e164 IS NOT NULL;
    CREATE INDEX customers_created ON customers (created_at, id);
    CREATE INDEX customers_export ON customers (created_at) WHERE needs_1c_export;

    CREATE TABLE customer_sync_log (
      id bigserial PRIMARY KEY,
      customer_id uuid REFERENCES customers(id) ON DELETE SET NULL,
      operation text NOT NULL CHECK (operation IN ('import_from_1c', 'export_to_1c', 'sync_changes')),
      status text NOT NULL CHECK (status IN ('success', 'error', 'skipped')),
      details jsonb NOT NULL DEFAULT '{}',
      error_message text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX customer_sync_log_customer ON customer_sync_log (customer_id, id);
    CREATE INDEX customer_sync_log_operation ON customer_sync_log (operation, created_at);

    CREATE TABLE customer_conflicts (
      id bigserial PRIMARY KEY,
      customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('email_linked_to_other', 'role_change')),
      -- The Ид of the 1C counterparty that raised it.
      onec_id text NOT NULL,
      platform_values jsonb NOT NULL,
      onec_values jsonb NOT NULL,
      onec_changed_at timestamptz,
      onec_version text,
      -- The same 1C record raises the same conflict once, however often it is imported.
      incoming_hash text NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'superseded')),
      resolution text CHECK (resolution IN ('keep_platform', 'take_1c', 'merge')),
      resolved_at timestamptz,
      import_run_id bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (customer_id, kind, onec_id, incoming_hash)
    );
    CREATE INDEX customer_conflicts_open ON customer_conflicts (id) WHERE status = 'open';

    CREATE TABLE customer_import_runs (
      id bigserial PRIMARY KEY,
      label text NOT NULL,
      -- Set for files imported by the customer-import job: one run per uploaded file.
      upload_file_id bigint UNIQUE,
      status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'success', 'failed')),
      progress text,
      file_size bigint,
      bytes_read bigint NOT NULL DEFAULT 0,
      counts jsonb NOT NULL DEFAULT '{}',
      errors jsonb NOT NULL DEFAULT '[]',
      error text,
      request_id text,
      job_id text,
      attempt integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS customer_import_runs;
    DROP TABLE IF EXISTS customer_conflicts;
    DROP TABLE IF EXISTS customer_sync_log;
    DROP TABLE IF EXISTS customers;
  `.execute(db);
}
