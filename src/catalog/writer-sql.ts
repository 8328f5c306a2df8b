/**
 * Every statement the catalog writer runs, in one place (pg-boss's plans.ts style).
 * Each takes whole batches as arrays and works set-based: one round trip per batch and table.
 *
 * Unchanged rows are not written: every upsert compares a content hash (or the values) in
 * `ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM …`, so a re-import of the same file
 * costs reads, not writes. Counts come from `RETURNING (xmax = 0)`: true for an insert.
 */

export const UPSERT_GROUPS = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bool[], $6::text[])
    AS t(onec_id, parent_id, name, position, deleted, hash)
), seen AS (
  INSERT INTO import_seen (run_id, kind, onec_id)
  SELECT $7::bigint, 'g', onec_id FROM input WHERE $7::bigint IS NOT NULL
), up AS (
  INSERT INTO groups AS g (onec_id, parent_id, name, position, is_active, hash)
  SELECT onec_id, parent_id, name, position, NOT deleted, hash FROM input
  ON CONFLICT (onec_id) DO UPDATE SET
    parent_id = excluded.parent_id, name = excluded.name, position = excluded.position,
    is_active = excluded.is_active, hash = excluded.hash, updated_at = now()
  WHERE g.hash IS DISTINCT FROM excluded.hash OR g.is_active IS DISTINCT FROM excluded.is_active
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

export const UPSERT_PROPERTIES = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[])
    AS t(onec_id, name, value_type, for_offers, hash)
), up AS (
  INSERT INTO properties AS p (onec_id, name, value_type, for_offers, hash)
  SELECT onec_id, name, value_type, for_offers, hash FROM input
  ON CONFLICT (onec_id) DO UPDATE SET
    name = excluded.name, value_type = excluded.value_type, for_offers = excluded.for_offers,
    hash = excluded.hash, updated_at = now()
  WHERE p.hash IS DISTINCT FROM excluded.hash
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

/** A property's dictionary is replaced by what the file lists (only for properties that list one). */
export const REPLACE_PROPERTY_VALUES = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(property_id, value_id, value)
), del AS (
  DELETE FROM property_values pv WHERE pv.property_id = ANY($4::text[])
    AND NOT EXISTS (SELECT 1 FROM input i
      WHERE i.property_id = pv.property_id AND i.value_id = pv.value_id)
)
INSERT INTO property_values AS pv (property_id, value_id, value)
SELECT DISTINCT ON (property_id, value_id) property_id, value_id, value FROM input
ON CONFLICT (property_id, value_id) DO UPDATE SET value = excluded.value
WHERE pv.value IS DISTINCT FROM excluded.value`;

export const UPSERT_PRICE_TYPES = `
WITH up AS (
  INSERT INTO price_types AS t (onec_id, name, currency)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
  ON CONFLICT (onec_id) DO UPDATE SET name = excluded.name, currency = excluded.currency,
    updated_at = now()
  WHERE t.name IS DISTINCT FROM excluded.name OR t.currency IS DISTINCT FROM excluded.currency
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

export const UPSERT_WAREHOUSES = `
WITH up AS (
  INSERT INTO warehouses AS w (onec_id, name)
  SELECT * FROM unnest($1::text[], $2::text[])
  ON CONFLICT (onec_id) DO UPDATE SET name = excluded.name, updated_at = now()
  WHERE w.name IS DISTINCT FROM excluded.name
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

export const UPSERT_UNITS = `
INSERT INTO units AS u (code, name, full_name, international)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (code) DO UPDATE SET name = excluded.name, full_name = excluded.full_name,
  international = excluded.international
WHERE (u.name, u.full_name, u.international)
  IS DISTINCT FROM (excluded.name, excluded.full_name, excluded.international)`;

/**
 * Products whose content changed, as text columns in COPY_NEW_PRODUCTS order (the batch's COPY
 * lines split back, see import-batches.ts): `text[]` and `jsonb` values are cast here.
 * A deleted product (Статус="Удален", ПометкаУдаления) stays, inactive.
 */
export const UPSERT_PRODUCTS = `
WITH input AS (
  SELECT * FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
    $15::bool[], $16::bool[], $17::text[])
    AS t(onec_id, sku, barcode, name, description, group_ids, manufacturer, images,
      property_values, requisites, tax_rates, characteristics, base_unit, version, is_active,
      deleted, hash)
), up AS (
  INSERT INTO products AS p (onec_id, sku, barcode, name, description, group_ids, manufacturer,
    images, property_values, requisites, tax_rates, characteristics, base_unit, version,
    is_active, deleted, hash)
  SELECT onec_id, sku, barcode, name, description, group_ids::text[], manufacturer,
    images::text[], property_values::jsonb, requisites::jsonb, tax_rates::jsonb,
    characteristics::jsonb, base_unit, version, is_active, deleted, hash
  FROM input
  ON CONFLICT (onec_id) DO UPDATE SET
    sku = excluded.sku, barcode = excluded.barcode, name = excluded.name,
    description = excluded.description, group_ids = excluded.group_ids,
    manufacturer = excluded.manufacturer, images = excluded.images,
    property_values = excluded.property_values, requisites = excluded.requisites,
    tax_rates = excluded.tax_rates, characteristics = excluded.characteristics,
    base_unit = excluded.base_unit, version = excluded.version, is_active = excluded.is_active,
    deleted = excluded.deleted, hash = excluded.hash, updated_at = now()
  WHERE p.hash IS DISTINCT FROM excluded.hash OR p.is_active IS DISTINCT FROM excluded.is_active
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

/**
 * What a batch's products look like now, to send only what changed; a full file's listing is
 * recorded in the same round trip ($2: the run, or NULL when not tracking).
 */
export const PRODUCT_STATE = `
WITH seen AS (
  INSERT INTO import_seen (run_id, kind, onec_id)
  SELECT $2::bigint, 'p', unnest($1::text[]) WHERE $2::bigint IS NOT NULL
)
SELECT onec_id, hash, is_active FROM products WHERE onec_id = ANY($1::text[])`;

/**
 * Products the table does not have yet (PRODUCT_STATE found no row, inside this transaction,
 * and the batch holds each Ид once): a plain COPY, no conflict handling.
 */
export const COPY_NEW_PRODUCTS = `
COPY products (onec_id, sku, barcode, name, description, group_ids, manufacturer, images,
  property_values, requisites, tax_rates, characteristics, base_unit, version, is_active, deleted,
  hash) FROM STDIN`;

/**
 * Which product each offer belongs to. 2.03/2.04 catalogs list one Товар per
 * characteristic with the full `product#characteristic` Ид, so the full offer Ид is tried
 * first, then the part before '#'.
 */
export const RESOLVE_OFFER_PRODUCTS = `
SELECT onec_id FROM products WHERE onec_id = ANY($1::text[])`;

export const OFFER_STATE = `
WITH seen AS (
  INSERT INTO import_seen (run_id, kind, onec_id)
  SELECT $2::bigint, 'o', unnest($1::text[]) WHERE $2::bigint IS NOT NULL
)
SELECT onec_id, hash, is_active, prices_hash, stocks_hash FROM offers
WHERE onec_id = ANY($1::text[])`;

/** Offers the table does not have yet, with their prices and stock (see COPY_NEW_PRODUCTS). */
export const COPY_NEW_OFFERS = `
COPY offers (onec_id, name, sku, barcode, characteristics, quantity, is_active, hash,
  prices_hash, stocks_hash, product_id) FROM STDIN`;
export const COPY_NEW_PRICES = `
COPY prices (offer_id, price_type_id, value, currency, unit) FROM STDIN`;
export const COPY_NEW_STOCKS = `
COPY stocks (offer_id, warehouse_id, quantity) FROM STDIN`;

/**
 * Offers whose own fields changed, as text columns in COPY_NEW_OFFERS order. A NULL quantity
 * means the file said nothing about the total: keep ours; likewise NULL price/stock hashes.
 */
export const UPSERT_OFFERS = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
    $6::numeric[], $7::bool[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS t(onec_id, name, sku, barcode, characteristics, quantity, is_active, hash, prices_hash,
      stocks_hash, product_id)
), up AS (
  INSERT INTO offers AS o (onec_id, product_id, name, sku, barcode, characteristics, quantity,
    is_active, hash, prices_hash, stocks_hash)
  SELECT onec_id, product_id, name, sku, barcode, characteristics::jsonb, quantity, is_active,
    hash, prices_hash, stocks_hash
  FROM input
  ON CONFLICT (onec_id) DO UPDATE SET
    product_id = excluded.product_id, name = excluded.name, sku = excluded.sku,
    barcode = excluded.barcode, characteristics = excluded.characteristics,
    quantity = COALESCE(excluded.quantity, o.quantity), is_active = excluded.is_active,
    hash = excluded.hash, prices_hash = COALESCE(excluded.prices_hash, o.prices_hash),
    stocks_hash = COALESCE(excluded.stocks_hash, o.stocks_hash), updated_at = now()
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up`;

/** Offers whose own fields did not change but whose prices or stock did. */
export const UPDATE_OFFER_STATE = `
UPDATE offers o SET prices_hash = COALESCE(t.prices_hash, o.prices_hash),
  stocks_hash = COALESCE(t.stocks_hash, o.stocks_hash),
  quantity = COALESCE(t.quantity, o.quantity), updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[])
  AS t(onec_id, prices_hash, stocks_hash, quantity)
WHERE o.onec_id = t.onec_id`;

/** Prices of offers that had none: no old rows to compare or remove. */
export const INSERT_PRICES = `
INSERT INTO prices AS p (offer_id, price_type_id, value, currency, unit)
SELECT DISTINCT ON (offer_id, price_type_id) *
FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::text[])
  AS t(offer_id, price_type_id, value, currency, unit)
ON CONFLICT (offer_id, price_type_id) DO UPDATE SET value = excluded.value,
  currency = excluded.currency, unit = excluded.unit, updated_at = now()`;

export const INSERT_STOCKS = `
INSERT INTO stocks AS s (offer_id, warehouse_id, quantity)
SELECT DISTINCT ON (offer_id, warehouse_id) *
FROM unnest($1::text[], $2::text[], $3::numeric[]) AS t(offer_id, warehouse_id, quantity)
ON CONFLICT (offer_id, warehouse_id) DO UPDATE SET quantity = excluded.quantity,
  updated_at = now()`;

/**
 * An offer that carries Цены gets exactly those prices: types it no longer lists are
 * removed. Offers without a Цены element are not in $6 and keep theirs.
 */
export const REPLACE_PRICES = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::text[])
    AS t(offer_id, price_type_id, value, currency, unit)
), del AS (
  DELETE FROM prices p WHERE p.offer_id = ANY($6::text[])
    AND NOT EXISTS (SELECT 1 FROM input i
      WHERE i.offer_id = p.offer_id AND i.price_type_id = p.price_type_id)
  RETURNING 1
), up AS (
  INSERT INTO prices AS p (offer_id, price_type_id, value, currency, unit)
  SELECT DISTINCT ON (offer_id, price_type_id) offer_id, price_type_id, value, currency, unit
  FROM input
  ON CONFLICT (offer_id, price_type_id) DO UPDATE SET
    value = excluded.value, currency = excluded.currency, unit = excluded.unit,
    updated_at = now()
  WHERE (p.value, p.currency, p.unit) IS DISTINCT FROM (excluded.value, excluded.currency, excluded.unit)
  RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM up WHERE inserted)::int AS created,
       (SELECT count(*) FROM up WHERE NOT inserted)::int AS updated,
       (SELECT count(*) FROM del)::int AS deleted`;

/** Same rule for stock: an offer that lists warehouses gets exactly those rows. */
export const REPLACE_STOCKS = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[]) AS t(offer_id, warehouse_id, quantity)
), del AS (
  DELETE FROM stocks s WHERE s.offer_id = ANY($4::text[])
    AND NOT EXISTS (SELECT 1 FROM input i
      WHERE i.offer_id = s.offer_id AND i.warehouse_id = s.warehouse_id)
  RETURNING 1
), up AS (
  INSERT INTO stocks AS s (offer_id, warehouse_id, quantity)
  SELECT DISTINCT ON (offer_id, warehouse_id) offer_id, warehouse_id, quantity FROM input
  ON CONFLICT (offer_id, warehouse_id) DO UPDATE SET quantity = excluded.quantity,
    updated_at = now()
  WHERE s.quantity IS DISTINCT FROM excluded.quantity
  RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM up WHERE inserted)::int AS created,
       (SELECT count(*) FROM up WHERE NOT inserted)::int AS updated,
       (SELECT count(*) FROM del)::int AS deleted`;

/** After a full (СодержитТолькоИзменения="false") file succeeded: what it did not list goes inactive. */
export const DEACTIVATE_UNSEEN_IN_RUN = {
  g: `UPDATE groups t SET is_active = false, updated_at = now() WHERE t.is_active
      AND NOT EXISTS (SELECT 1 FROM import_seen s WHERE s.run_id = $1 AND s.kind = 'g' AND s.onec_id = t.onec_id)`,
  p: `UPDATE products t SET is_active = false, updated_at = now() WHERE t.is_active
      AND NOT EXISTS (SELECT 1 FROM import_seen s WHERE s.run_id = $1 AND s.kind = 'p' AND s.onec_id = t.onec_id)`,
  o: `UPDATE offers t SET is_active = false, updated_at = now() WHERE t.is_active
      AND NOT EXISTS (SELECT 1 FROM import_seen s WHERE s.run_id = $1 AND s.kind = 'o' AND s.onec_id = t.onec_id)`,
} as const;

export const FORGET_SEEN = `DELETE FROM import_seen WHERE run_id = $1`;

/** Entities this transaction changed (see catalog_changes in the migration). */
export const MARK_CHANGED = `
INSERT INTO catalog_changes (entity, changed_at) SELECT unnest($1::text[]), now()
ON CONFLICT (entity) DO UPDATE SET changed_at = excluded.changed_at`;
