/**
 * The orders tables: orders the platform takes, what each `type=sale&mode=query` sent to 1C
 * (two-phase export), the documents 1C sends back, and idempotency keys of the API.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE orders (
      id bigserial PRIMARY KEY,
      -- Номер: what 1C shows and matches its documents on (ORDER_NUMBER_PREFIX || id).
      number text NOT NULL UNIQUE,
      currency text NOT NULL,
      -- The platform's customer (no FK: the customers capability is separate) and, once
      -- known, 1C's Ид of the counterparty.
      customer_id text,
      customer_onec_id text,
      -- The buyer as given with the order: 1C creates its counterparty from it.
      buyer_email text,
      buyer_phone text,
      buyer_first_name text,
      buyer_last_name text,
      buyer_company_name text,
      buyer_tax_id text,
      delivery_method text,
      delivery_address text,
      delivery_price numeric(18, 2),
      payment_method text,
      comment text,
      items_total numeric(18, 2) NOT NULL,
      total numeric(18, 2) NOT NULL,
      -- Bumped by every change made on the platform (never by 1C's documents): an order whose
      -- version 1C has not confirmed is sent by the next mode=query.
      version integer NOT NULL DEFAULT 1,
      exported_version integer,
      exported_at timestamptz,
      -- What 1C reported (type=sale mode=file/import). Dates are 1C's wall-clock text.
      onec_number text,
      onec_date text,
      onec_posted boolean,
      onec_deleted boolean NOT NULL DEFAULT false,
      onec_status text,
      onec_status_id text,
      onec_updated_at timestamptz,
      paid boolean NOT NULL DEFAULT false,
      paid_at text,
      payment_number text,
      shipped boolean NOT NULL DEFAULT false,
      shipped_at text,
      shipment_number text,
      delivery_allowed boolean NOT NULL DEFAULT false,
      cancelled boolean NOT NULL DEFAULT false,
      -- Derived from the flags by the trigger below, never written directly.
      status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'accepted', 'paid', 'shipped', 'cancelled')),
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (exported_version IS NULL OR exported_version <= version)
    );
    -- What mode=query reads: small, because confirmed orders leave it.
    CREATE INDEX orders_pending ON orders (id) WHERE exported_version IS DISTINCT FROM version;
    CREATE INDEX orders_updated ON orders (updated_at, id);
    CREATE INDEX orders_status ON orders (status, id);

    CREATE FUNCTION orders_derive_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.status := CASE
        WHEN NEW.cancelled OR NEW.onec_deleted THEN 'cancelled'
        WHEN NEW.shipped THEN 'shipped'
        WHEN NEW.paid THEN 'paid'
        WHEN NEW.onec_number IS NOT NULL OR NEW.onec_posted THEN 'accepted'
        ELSE 'new'
      END;
      IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.status_changed_at := now();
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER orders_status BEFORE INSERT OR UPDATE ON orders
      FOR EACH ROW EXECUTE FUNCTION orders_derive_status();

    CREATE TABLE order_lines (
      order_id bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
      line_no integer NOT NULL,
      -- The offer's 1C Ид (product or product#characteristic) and its product, as ordered.
      offer_id text NOT NULL,
      product_id text NOT NULL,
      name text NOT NULL,
      sku text,
      unit_code text,
      unit_name text,
      unit_full_name text,
      unit_international text,
      quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
      price numeric(18, 2) NOT NULL CHECK (price >= 0),
      amount numeric(18, 2) NOT NULL,
      PRIMARY KEY (order_id, line_no)
    );

    -- One row per mode=query; its items are exactly the order versions that answer carried.
    -- mode=success confirms the session's latest batch and nothing else.
    CREATE TABLE order_export_batches (
      id bigserial PRIMARY KEY,
      session_id text NOT NULL,
      order_count integer NOT NULL DEFAULT 0,
      confirmed_count integer,
      queried_at timestamptz NOT NULL DEFAULT now(),
      confirmed_at timestamptz
    );
    CREATE INDEX order_export_batches_session ON order_export_batches (session_id, id DESC);
    CREATE INDEX order_export_batches_queried ON order_export_batches (queried_at);
    CREATE TABLE order_export_items (
      batch_id bigint NOT NULL REFERENCES order_export_batches(id) ON DELETE CASCADE,
      order_id bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
      order_version integer NOT NULL,
      -- True on the one row whose success confirmed this order version.
      confirmed boolean NOT NULL DEFAULT false,
      PRIMARY KEY (batch_id, order_id)
    );
    CREATE INDEX order_export_items_order ON order_export_items (order_id);

    -- The CommerceML version 1C gave at type=sale mode=init: set means the "new" protocol
    -- (file stores, import processes); absent means the old one (file imports at once).
    CREATE TABLE sale_exchange_sessions (
      session_id text PRIMARY KEY,
      version text,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- One row per document file from 1C that was processed (or failed).
    CREATE TABLE order_import_runs (
      id bigserial PRIMARY KEY,
      session_id text,
      generation integer NOT NULL DEFAULT 0,
      file_name text NOT NULL,
      file_size bigint,
      status text NOT NULL CHECK (status IN ('success', 'failed')),
      documents integer NOT NULL DEFAULT 0,
      applied integer NOT NULL DEFAULT 0,
      unchanged integer NOT NULL DEFAULT 0,
      unknown integer NOT NULL DEFAULT 0,
      skipped integer NOT NULL DEFAULT 0,
      -- Documents that name no order of ours: [{ "number": …, "id": … }].
      unknown_documents jsonb NOT NULL DEFAULT '[]',
      errors jsonb NOT NULL DEFAULT '[]',
      error text,
      request_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
    CREATE INDEX order_import_runs_key ON order_import_runs (session_id, generation, file_name);
    CREATE INDEX order_import_runs_created ON order_import_runs (created_at DESC, id DESC);

    -- Idempotency-Key of API writes: the same key and body within 24 h replays the stored
    -- response. Generic: scope names the operation.
    CREATE TABLE idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      response_status integer,
      response_body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE idempotency_keys, order_import_runs, sale_exchange_sessions, order_export_items,
      order_export_batches, order_lines, orders;
    DROP FUNCTION orders_derive_status();
  `.execute(db);
}
