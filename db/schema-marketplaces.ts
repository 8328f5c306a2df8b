/** Kysely types of the marketplaces tables (mirrors db/migrations/004-marketplaces.ts). */
import type { ColumnType, Generated, JSONColumnType } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type BigIntCol = ColumnType<string, string | number | bigint, string | number | bigint>;

export type MarketplaceSource = "ozon" | "wildberries";
export type SyncKind = "read" | "push";
export type SyncTrigger = "schedule" | "manual" | "import";
export type SyncStatus = "running" | "success" | "partial" | "failed";
export type StockType = "FBO" | "FBS" | "realFBS";

export interface SyncItemError {
  /** The pair or record the error is about, e.g. `warehouse 1001 / offer ART-1`. */
  key: string;
  code: string;
  message: string;
}

export interface StockSyncRunTable {
  id: Generated<string>;
  source: MarketplaceSource;
  kind: SyncKind;
  trigger: SyncTrigger;
  slot: Timestamp | null;
  job_id: string | null;
  status: Generated<SyncStatus>;
  records_processed: Generated<number>;
  records_updated: Generated<number>;
  records_skipped: Generated<number>;
  error_message: string | null;
  anomaly: string | null;
  item_errors: JSONColumnType<SyncItemError[], string | undefined, string>;
  row_count: number | null;
  total_available: BigIntCol | null;
  started_at: DefaultTimestamp;
  completed_at: Timestamp | null;
}

export interface MarketplaceInventoryTable {
  source: MarketplaceSource;
  account: string;
  warehouse_id: string;
  stock_type: StockType;
  item_key: string;
  sku: string | null;
  offer_id: string | null;
  product_id: string | null;
  nm_id: string | null;
  chrt_id: string | null;
  product_onec_id: string | null;
  offer_onec_id: string | null;
  warehouse_name: string | null;
  present: number;
  reserved: number | null;
  available: number;
  snapshot_at: Timestamp;
  last_sync_at: Timestamp;
  seen_run_id: BigIntCol;
  updated_at: DefaultTimestamp;
}

export interface MarketplaceInventoryStagingTable {
  seq: Generated<string>;
  run_id: BigIntCol;
  keep: Generated<boolean>;
  /** `*` in keep rows: any. */
  warehouse_id: string;
  stock_type: StockType | "*";
  item_key: string;
  sku: string | null;
  offer_id: string | null;
  product_id: string | null;
  nm_id: string | null;
  chrt_id: string | null;
  warehouse_name: string | null;
  present: Generated<number>;
  reserved: number | null;
  available: Generated<number>;
  snapshot_at: Timestamp | null;
}

export interface MarketplaceListingTable {
  source: MarketplaceSource;
  account: string;
  listing_key: string;
  offer_id: string | null;
  sku: string | null;
  product_id: string | null;
  nm_id: string | null;
  chrt_id: string | null;
  barcodes: ColumnType<string[], string[] | undefined, string[]>;
  seen_run_id: BigIntCol;
  updated_at: DefaultTimestamp;
}

export interface MarketplaceWarehouseMappingTable {
  source: MarketplaceSource;
  marketplace_warehouse_id: string;
  onec_warehouse_id: string;
  created_at: DefaultTimestamp;
}

export interface MarketplaceArticleMappingTable {
  source: MarketplaceSource;
  article: string;
  marketplace_id: string;
  updated_at: DefaultTimestamp;
}

export interface MarketplacePushStateTable {
  source: MarketplaceSource;
  account: string;
  warehouse_id: string;
  item_key: string;
  quantity: number;
  pushed_at: Timestamp;
}

export interface MarketplaceAlertTable {
  source: string;
  kind: string;
  last_sent_at: Timestamp;
}

export interface MarketplacesTables {
  stock_sync_runs: StockSyncRunTable;
  marketplace_inventory: MarketplaceInventoryTable;
  marketplace_inventory_staging: MarketplaceInventoryStagingTable;
  marketplace_listings: MarketplaceListingTable;
  marketplace_warehouse_mappings: MarketplaceWarehouseMappingTable;
  marketplace_article_mappings: MarketplaceArticleMappingTable;
  marketplace_push_state: MarketplacePushStateTable;
  marketplace_alerts: MarketplaceAlertTable;
}
