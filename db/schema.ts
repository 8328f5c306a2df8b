/**
 * Kysely's view of the database. One interface per table; the migration in
 * db/migrations/ is the source of truth, this file mirrors it for the type checker.
 */
import type { ColumnType, Generated, JSONColumnType } from "kysely";
import type { OrdersTables } from "./schema-orders.ts";
import type { CustomersTables } from "./schema-customers.ts";
import type { MarketplacesTables } from "./schema-marketplaces.ts";
import type { PlatformPricingTables } from "./schema-platform-pricing.ts";
import type { IntegrationLogTables } from "./schema-integration-log.ts";
import type { IdempotencyTables } from "./schema-idempotency.ts";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp column with a database default: optional on insert. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Numeric = ColumnType<string, string | number, string | number>;
type BigIntCol = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface ExchangeSessionTable {
  /** The cookie value 1C sends back on every request. */
  id: string;
  /** The `sessid=` line of checkauth; 1C may send it instead of (or with) the cookie. */
  token: string;
  type: string;
  client_ip: string | null;
  created_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  expires_at: Timestamp;
  closed_at: Timestamp | null;
  /** checkauth's `timestamp=` line; 1C gives it back with mode=deactivate. */
  started_unix: BigIntCol;
  generation: Generated<number>;
  deactivated_at: Timestamp | null;
}

export interface UploadFileTable {
  id: Generated<string>;
  session_id: string;
  /** Normalised relative path, as 1C names it (`goods/1/import___x.xml`, `import_files/ab/c.jpg`). */
  name: string;
  size: ColumnType<string, string | number | undefined, string | number>;
  chunks: Generated<number>;
  /** `upload` for bytes 1C posted, `zip` for an entry unpacked from an uploaded archive. */
  origin: Generated<string>;
  /** For an uploaded .zip: when its entries were unpacked into sibling files. */
  unpacked_at: Timestamp | null;
  published_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface UploadChunkTable {
  file_id: BigIntCol;
  seq: number;
  pos: BigIntCol;
  len: number;
  data: Uint8Array;
}

export interface ImportRunTable {
  id: Generated<string>;
  session_id: string | null;
  generation: Generated<number>;
  file_name: string;
  upload_file_id: BigIntCol | null;
  /** What the file turned out to hold: catalog, offers, classifier, mixed, unknown. */
  kind: string | null;
  status: Generated<"queued" | "running" | "success" | "failed">;
  /** Human-readable progress line shown to 1C on `mode=import` polling. */
  progress: string | null;
  file_size: BigIntCol | null;
  bytes_read: ColumnType<string, string | number | undefined, string | number>;
  full_exchange: boolean | null;
  deactivation_deferred: Generated<boolean>;
  content_sha256: string | null;
  same_as_run_id: string | null;
  counts: ColumnType<ImportCounts, ImportCounts | string | undefined, ImportCounts | string>;
  errors: ColumnType<string[], string[] | string | undefined, string[] | string>;
  error: string | null;
  request_id: string | null;
  job_id: string | null;
  attempt: Generated<number>;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface ImportCounts {
  [entity: string]: {
    created?: number;
    updated?: number;
    unchanged?: number;
    deactivated?: number;
    skipped?: number;
  };
}

export interface ImportSeenTable {
  run_id: BigIntCol;
  kind: "g" | "p" | "o";
  onec_id: string;
}

export interface ImageTable {
  sha256: string;
  content_type: string;
  size: number;
  data: Uint8Array;
  created_at: DefaultTimestamp;
}

export interface ImagePathTable {
  path: string;
  sha256: string;
  updated_at: DefaultTimestamp;
}

export interface CatalogChangeTable {
  entity: string;
  changed_at: Timestamp;
}

export interface GroupTable {
  onec_id: string;
  parent_id: string | null;
  name: string;
  position: Generated<number>;
  is_active: Generated<boolean>;
  hash: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface PropertyTable {
  onec_id: string;
  name: string;
  value_type: string | null;
  for_offers: Generated<boolean>;
  hash: string | null;
  updated_at: DefaultTimestamp;
}

export interface PropertyValueTable {
  property_id: string;
  value_id: string;
  value: string;
}

export interface PriceTypeTable {
  onec_id: string;
  name: string;
  currency: string | null;
  updated_at: DefaultTimestamp;
}

export interface WarehouseTable {
  onec_id: string;
  name: string;
  updated_at: DefaultTimestamp;
}

export interface UnitTable {
  code: string;
  name: string | null;
  full_name: string | null;
  international: string | null;
}

export interface PropertyValueRef {
  /** Property Ид from the classifier. */
  id: string;
  /** Raw values: for Справочник properties these are ИдЗначения, resolved on read. */
  values: string[];
}

export interface ProductTable {
  onec_id: string;
  sku: string | null;
  barcode: string | null;
  name: string;
  description: string | null;
  group_ids: string[];
  manufacturer: string | null;
  images: string[];
  property_values: JSONColumnType<
    PropertyValueRef[],
    PropertyValueRef[] | string,
    PropertyValueRef[] | string
  >;
  requisites: JSONColumnType<
    Record<string, string>,
    Record<string, string> | string,
    Record<string, string> | string
  >;
  tax_rates: JSONColumnType<{ name: string; rate: string }[], unknown, unknown>;
  characteristics: JSONColumnType<
    Record<string, string>,
    Record<string, string> | string,
    Record<string, string> | string
  >;
  base_unit: string | null;
  version: string | null;
  is_active: Generated<boolean>;
  /** Deleted in 1C (Статус="Удален" / ПометкаУдаления): inactive and stays so until 1C revives it. */
  deleted: Generated<boolean>;
  hash: string;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface OfferTable {
  onec_id: string;
  product_id: string;
  name: string | null;
  sku: string | null;
  barcode: string | null;
  characteristics: JSONColumnType<
    Record<string, string>,
    Record<string, string> | string,
    Record<string, string> | string
  >;
  quantity: Numeric | null;
  is_active: Generated<boolean>;
  hash: string;
  prices_hash: string | null;
  stocks_hash: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface PriceTable {
  offer_id: string;
  price_type_id: string;
  value: Numeric;
  currency: string | null;
  unit: string | null;
  updated_at: DefaultTimestamp;
}

export interface StockTable {
  offer_id: string;
  warehouse_id: string;
  quantity: Numeric;
  updated_at: DefaultTimestamp;
}

export interface AuthFailureTable {
  client: string;
  scope: string;
  window_start: Timestamp;
  failures: number;
}

export interface CatalogTables {
  auth_failures: AuthFailureTable;
  exchange_sessions: ExchangeSessionTable;
  upload_files: UploadFileTable;
  upload_chunks: UploadChunkTable;
  import_runs: ImportRunTable;
  import_seen: ImportSeenTable;
  catalog_changes: CatalogChangeTable;
  images: ImageTable;
  image_paths: ImagePathTable;
  groups: GroupTable;
  properties: PropertyTable;
  property_values: PropertyValueTable;
  price_types: PriceTypeTable;
  warehouses: WarehouseTable;
  units: UnitTable;
  products: ProductTable;
  offers: OfferTable;
  prices: PriceTable;
  stocks: StockTable;
}

/** Every table: the catalog's (above) and each capability's (db/schema-*.ts). */
export interface Database
  extends
    CatalogTables,
    OrdersTables,
    CustomersTables,
    MarketplacesTables,
    PlatformPricingTables,
    IntegrationLogTables,
    IdempotencyTables {}
