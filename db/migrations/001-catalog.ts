/**
 * The catalog exchange: sessions, uploaded bytes, import runs, and the catalog itself.
 * Plain SQL: the schema is read by people more often than by the type checker.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE exchange_sessions (
      id text PRIMARY KEY,
      token text NOT NULL UNIQUE,
      type text NOT NULL,
      client_ip text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      closed_at timestamptz,
      started_unix bigint NOT NULL,
      -- Bumped by every mode=init: runs are keyed by it, so a re-sent file is imported again.
      generation integer NOT NULL DEFAULT 0,
      deactivated_at timestamptz
    );

    -- Failed logins per client address (checkauth, API tokens), shared by every instance:
    -- brute force is throttled wherever the attempts land.
    CREATE TABLE auth_failures (
      client text NOT NULL,
      scope text NOT NULL,
      window_start timestamptz NOT NULL,
      failures integer NOT NULL,
      PRIMARY KEY (client, scope)
    );

    -- Uploaded bytes live in Postgres so that any instance can serve any request and a
    -- worker on another machine can read them.
    CREATE TABLE upload_files (
      id bigserial PRIMARY KEY,
      session_id text NOT NULL REFERENCES exchange_sessions(id) ON DELETE CASCADE,
      name text NOT NULL,
      size bigint NOT NULL DEFAULT 0,
      chunks integer NOT NULL DEFAULT 0,
      origin text NOT NULL DEFAULT 'upload',
      unpacked_at timestamptz,
      -- For a picture: when it was stored in images/image_paths.
      published_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (session_id, name)
    );
    -- Chunks vary in size (each POST ends with a short one), so each knows its offset:
    -- the zip reader needs random access.
    CREATE TABLE upload_chunks (
      file_id bigint NOT NULL REFERENCES upload_files(id) ON DELETE CASCADE,
      seq integer NOT NULL,
      pos bigint NOT NULL,
      len integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (file_id, seq)
    );
    CREATE INDEX upload_chunks_pos ON upload_chunks (file_id, pos);

    CREATE TABLE import_runs (
      id bigserial PRIMARY KEY,
      session_id text REFERENCES exchange_sessions(id) ON DELETE SET NULL,
      generation integer NOT NULL DEFAULT 0,
      file_name text NOT NULL,
      upload_file_id bigint,
      kind text,
      status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'success', 'failed')),
      progress text,
      file_size bigint,
      bytes_read bigint NOT NULL DEFAULT 0,
      full_exchange boolean,
      -- A full package of a split exchange: its deactivation waits for deactivate/complete.
      deactivation_deferred boolean NOT NULL DEFAULT false,
      -- sha256 of the file: an identical re-send can be recognised without parsing it.
      content_sha256 text,
      -- Set when the run was recognised as identical to an earlier one and skipped.
      same_as_run_id bigint,
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
    -- One run per session, init and file, however often 1C repeats mode=import.
    CREATE UNIQUE INDEX import_runs_session_file ON import_runs (session_id, generation, file_name);
    CREATE INDEX import_runs_created ON import_runs (created_at DESC, id DESC);

    -- What a run saw; after a full exchange, what it did not see is deactivated. Unlogged
    -- and without a unique key: it is written once per product on the hot path and read once,
    -- by one set-based anti-join. Pruned with the runs it belongs to.
    CREATE UNLOGGED TABLE import_seen (
      run_id bigint NOT NULL,
      kind "char" NOT NULL, -- g group, p product, o offer
      onec_id text NOT NULL
    );
    CREATE INDEX import_seen_run ON import_seen (run_id);

    -- When each kind of catalog data last changed (imports and deactivations): a file identical
    -- to an earlier run may be skipped only if nothing it carries changed since that run.
    CREATE TABLE catalog_changes (
      entity text PRIMARY KEY,
      changed_at timestamptz NOT NULL
    );

    -- Product pictures: stored once per content (sha256), whatever path or exchange they came
    -- with; image_paths maps the Картинка path (from import_files/ on) to the content.
    CREATE TABLE images (
      sha256 text PRIMARY KEY,
      content_type text NOT NULL,
      size integer NOT NULL,
      data bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE image_paths (
      path text PRIMARY KEY,
      sha256 text NOT NULL REFERENCES images(sha256),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX image_paths_sha ON image_paths (sha256);

    CREATE TABLE groups (
      onec_id text PRIMARY KEY,
      parent_id text,
      name text NOT NULL,
      position integer NOT NULL DEFAULT 0,
      is_active boolean NOT NULL DEFAULT true,
      hash text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX groups_parent ON groups (parent_id);

    CREATE TABLE properties (
      onec_id text PRIMARY KEY,
      name text NOT NULL,
      value_type text,
      for_offers boolean NOT NULL DEFAULT false,
      hash text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE property_values (
      property_id text NOT NULL,
      value_id text NOT NULL,
      value text NOT NULL,
      PRIMARY KEY (property_id, value_id)
    );

    CREATE TABLE price_types (
      onec_id text PRIMARY KEY,
      name text NOT NULL,
      currency text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE warehouses (
      onec_id text PRIMARY KEY,
      name text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE units (
      code text PRIMARY KEY,
      name text,
      full_name text,
      international text
    );

    CREATE TABLE products (
      onec_id text PRIMARY KEY,
      sku text,
      barcode text,
      name text NOT NULL,
      description text,
      group_ids text[] NOT NULL DEFAULT '{}',
      manufacturer text,
      images text[] NOT NULL DEFAULT '{}',
      property_values jsonb NOT NULL DEFAULT '[]',
      requisites jsonb NOT NULL DEFAULT '{}',
      tax_rates jsonb NOT NULL DEFAULT '[]',
      characteristics jsonb NOT NULL DEFAULT '{}',
      base_unit text,
      version text,
      is_active boolean NOT NULL DEFAULT true,
      deleted boolean NOT NULL DEFAULT false,
      hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX products_updated ON products (updated_at, onec_id);

    CREATE TABLE offers (
      onec_id text PRIMARY KEY,
      product_id text NOT NULL,
      name text,
      sku text,
      barcode text,
      characteristics jsonb NOT NULL DEFAULT '{}',
      quantity numeric,
      is_active boolean NOT NULL DEFAULT true,
      hash text NOT NULL,
      -- What the prices and the stock (with Количество) looked like when last written: an
      -- offer whose file content did not change costs no write at all.
      prices_hash text,
      stocks_hash text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX offers_product ON offers (product_id);

    CREATE TABLE prices (
      offer_id text NOT NULL,
      price_type_id text NOT NULL,
      value numeric NOT NULL,
      currency text,
      unit text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (offer_id, price_type_id)
    );
    CREATE TABLE stocks (
      offer_id text NOT NULL,
      warehouse_id text NOT NULL,
      quantity numeric NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (offer_id, warehouse_id)
    );
  `.execute(db);

  // lz4 makes storing and re-reading uploads several times cheaper where the server has it
  // (the Debian/Fly builds do; the embedded binaries do not).
  const lz4 = await sql<{ ok: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
      AND 'lz4' = ANY(enumvals)) AS ok`.execute(db);
  if (lz4.rows[0]?.ok) {
    await sql`ALTER TABLE upload_chunks ALTER COLUMN data SET COMPRESSION lz4`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE stocks, prices, offers, products, units, warehouses, price_types,
      property_values, properties, groups, image_paths, images, catalog_changes, import_seen, import_runs, upload_chunks,
      upload_files, exchange_sessions, auth_failures;
  `.execute(db);
}
