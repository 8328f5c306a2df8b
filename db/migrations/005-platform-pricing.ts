/**
 * Platform pricing (issue 7): which 1C price type (ТипЦены) prices each customer role of the
 * platform, and which 1C warehouses (Склады) serve orders. Both are set through the API and
 * belong to the platform, not to 1C, so they live in tables of their own next to the catalog:
 *
 * - a re-import never touches them (the importer upserts price_types and warehouses only);
 * - setting them never waits for an import. An import locks the price type and warehouse rows it
 *   lists until its file commits (ON CONFLICT DO UPDATE locks every conflicting row, even one it
 *   leaves unchanged), which is tens of seconds for a large offers.xml: an UPDATE of a column on
 *   those rows would wait that long.
 *
 * No foreign keys, like the catalog's own tables: the catalog tables can still be truncated and
 * reloaded, and the API checks that the price type or warehouse exists when it is set. Reads
 * join the catalog, so a row whose price type or warehouse is gone is ignored.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- One price type per role (the key) and one role per price type (UNIQUE): the API sets a
    -- price type's role (PUT /api/v1/price-types/{id}), so a price type shows one role, and a
    -- role given to another price type moves there. Role names are what customers carry in
    -- customers.role (trimmed, spaces collapsed, at most 100 characters), matched exactly.
    CREATE TABLE price_type_roles (
      role text PRIMARY KEY
        CHECK (length(role) BETWEEN 1 AND 100 AND role = btrim(role)),
      price_type_id text NOT NULL UNIQUE,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- Warehouses marked through the API (PUT /api/v1/warehouses/{id}). A warehouse without a
    -- row serves orders: every warehouse does until marked otherwise, also one 1C adds later.
    CREATE TABLE warehouse_order_flags (
      warehouse_id text PRIMARY KEY,
      serves_orders boolean NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE warehouse_order_flags, price_type_roles`.execute(db);
}
