/**
 * The marketplaces tables: stock read from Ozon and Wildberries, the sync log, the mappings
 * that route 1C's stock to marketplace warehouses and items, and what was last pushed.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The sync log: one row per run (inventory read or stock push) of one source.
    CREATE TABLE stock_sync_runs (
      id bigserial PRIMARY KEY,
      source text NOT NULL CHECK (source IN ('ozon', 'wildberries')),
      kind text NOT NULL CHECK (kind IN ('read', 'push')),
      trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'import')),
      -- The cron slot a scheduled run belongs to; unique per source and kind, so instances
      -- that all fire for one slot produce one run.
      slot timestamptz,
      job_id uuid,
      status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'success', 'partial', 'failed')),
      records_processed integer NOT NULL DEFAULT 0,
      records_updated integer NOT NULL DEFAULT 0,
      records_skipped integer NOT NULL DEFAULT 0,
      error_message text,
      anomaly text,
      item_errors jsonb NOT NULL DEFAULT '[]',
      -- Reads: valid rows the marketplace returned and their total available stock, the
      -- baseline the next read is compared with.
      row_count integer,
      total_available bigint,
      started_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );
    CREATE UNIQUE INDEX stock_sync_runs_slot ON stock_sync_runs (source, kind, slot)
      WHERE slot IS NOT NULL;
    -- One running run per source and kind: the lock behind POST /stock-syncs' 409.
    CREATE UNIQUE INDEX stock_sync_runs_running ON stock_sync_runs (source, kind)
      WHERE status = 'running';
    CREATE INDEX stock_sync_runs_started ON stock_sync_runs (started_at DESC, id DESC);
    CREATE INDEX stock_sync_runs_source ON stock_sync_runs (source, kind, started_at DESC);

    CREATE TABLE marketplace_inventory (
      source text NOT NULL,
      account text NOT NULL,
      warehouse_id text NOT NULL,
      stock_type text NOT NULL CHECK (stock_type IN ('FBO', 'FBS', 'realFBS')),
      -- Ozon: sku; Wildberries: chrtId.
      item_key text NOT NULL,
      sku text,
      offer_id text,
      product_id text,
      nm_id text,
      chrt_id text,
      product_onec_id text,
      offer_onec_id text,
      warehouse_name text,
      present integer NOT NULL,
      reserved integer,
      available integer NOT NULL,
      snapshot_at timestamptz NOT NULL,
      last_sync_at timestamptz NOT NULL,
      seen_run_id bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, account, warehouse_id, stock_type, item_key)
    );
    CREATE INDEX marketplace_inventory_offer ON marketplace_inventory (offer_id);

    -- A read lands here page by page; it replaces the inventory in one transaction at the
    -- end, unless the run is an anomaly. Unlogged: a crash restarts the run anyway.
    CREATE UNLOGGED TABLE marketplace_inventory_staging (
      seq bigserial PRIMARY KEY,
      run_id bigint NOT NULL,
      -- An invalid record whose key could still be read: its inventory row is kept as it
      -- was instead of being zeroed as vanished. '*' in a key column of a keep row: any.
      keep boolean NOT NULL DEFAULT false,
      warehouse_id text NOT NULL,
      stock_type text NOT NULL,
      item_key text NOT NULL,
      sku text,
      offer_id text,
      product_id text,
      nm_id text,
      chrt_id text,
      warehouse_name text,
      present integer NOT NULL DEFAULT 0,
      reserved integer,
      available integer NOT NULL DEFAULT 0,
      snapshot_at timestamptz
    );
    CREATE INDEX marketplace_inventory_staging_run ON marketplace_inventory_staging (run_id);

    -- The marketplace catalogue: Ozon offer_id ↔ product_id ↔ sku, WB chrtId ↔ nmId ↔
    -- vendorCode ↔ barcodes. Links stock rows to 1C articles and finds WB chrtIds to push.
    CREATE TABLE marketplace_listings (
      source text NOT NULL,
      account text NOT NULL,
      -- Ozon: offer_id; Wildberries: chrtId.
      listing_key text NOT NULL,
      offer_id text,
      sku text,
      product_id text,
      nm_id text,
      chrt_id text,
      barcodes text[] NOT NULL DEFAULT '{}',
      seen_run_id bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, account, listing_key)
    );
    CREATE INDEX marketplace_listings_offer ON marketplace_listings (source, account, offer_id);
    CREATE INDEX marketplace_listings_barcodes ON marketplace_listings USING gin (barcodes);

    -- Which 1C warehouses feed a marketplace warehouse (their stock is summed).
    CREATE TABLE marketplace_warehouse_mappings (
      source text NOT NULL CHECK (source IN ('ozon', 'wildberries')),
      marketplace_warehouse_id text NOT NULL,
      onec_warehouse_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, marketplace_warehouse_id, onec_warehouse_id)
    );

    -- A 1C article (or a 1C offer Ид) → Ozon offer_id / WB chrtId, where they differ.
    CREATE TABLE marketplace_article_mappings (
      source text NOT NULL CHECK (source IN ('ozon', 'wildberries')),
      article text NOT NULL,
      marketplace_id text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, article),
      UNIQUE (source, marketplace_id)
    );

    -- What each pair was last set to: a push sends only pairs whose quantity changed.
    CREATE TABLE marketplace_push_state (
      source text NOT NULL,
      account text NOT NULL,
      warehouse_id text NOT NULL,
      -- Ozon: offer_id; Wildberries: chrtId.
      item_key text NOT NULL,
      quantity integer NOT NULL,
      pushed_at timestamptz NOT NULL,
      PRIMARY KEY (source, account, warehouse_id, item_key)
    );

    -- At most one alert per source and kind per hour, across all instances.
    CREATE TABLE marketplace_alerts (
      source text NOT NULL,
      kind text NOT NULL,
      last_sent_at timestamptz NOT NULL,
      PRIMARY KEY (source, kind)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE marketplace_alerts, marketplace_push_state, marketplace_article_mappings,
      marketplace_warehouse_mappings, marketplace_listings, marketplace_inventory_staging,
      marketplace_inventory, stock_sync_runs;
  `.execute(db);
}
