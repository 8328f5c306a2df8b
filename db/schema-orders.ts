/** Kysely types of the orders tables (mirrors db/migrations/002-orders.ts). */
import type { ColumnType, Generated, JSONColumnType } from "kysely";

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** numeric comes back as an exact string. */
type Numeric = ColumnType<string, string | number, string | number>;
type BigIntId = ColumnType<string, string | number | bigint, string | number | bigint>;

export type OrderStatus = "new" | "accepted" | "paid" | "shipped" | "cancelled";

export interface OrderTable {
  id: ColumnType<string, string | number | bigint | undefined, never>;
  number: string;
  currency: string;
  customer_id: string | null;
  customer_onec_id: string | null;
  buyer_email: string | null;
  buyer_phone: string | null;
  buyer_first_name: string | null;
  buyer_last_name: string | null;
  buyer_company_name: string | null;
  buyer_tax_id: string | null;
  delivery_method: string | null;
  delivery_address: string | null;
  delivery_price: Numeric | null;
  payment_method: string | null;
  comment: string | null;
  items_total: Numeric;
  total: Numeric;
  version: Generated<number>;
  exported_version: number | null;
  exported_at: Timestamp | null;
  onec_number: string | null;
  onec_date: string | null;
  onec_posted: boolean | null;
  onec_deleted: Generated<boolean>;
  onec_status: string | null;
  onec_status_id: string | null;
  onec_updated_at: Timestamp | null;
  paid: Generated<boolean>;
  paid_at: string | null;
  payment_number: string | null;
  shipped: Generated<boolean>;
  shipped_at: string | null;
  shipment_number: string | null;
  delivery_allowed: Generated<boolean>;
  cancelled: Generated<boolean>;
  /** Set by a trigger from the flags. */
  status: ColumnType<OrderStatus, never, never>;
  status_changed_at: ColumnType<Date, never, never>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface OrderLineTable {
  order_id: BigIntId;
  line_no: number;
  offer_id: string;
  product_id: string;
  name: string;
  sku: string | null;
  unit_code: string | null;
  unit_name: string | null;
  unit_full_name: string | null;
  unit_international: string | null;
  quantity: Numeric;
  price: Numeric;
  amount: Numeric;
}

export interface OrderExportBatchTable {
  id: Generated<string>;
  session_id: string;
  order_count: Generated<number>;
  confirmed_count: number | null;
  queried_at: DefaultTimestamp;
  confirmed_at: Timestamp | null;
}

export interface OrderExportItemTable {
  batch_id: BigIntId;
  order_id: BigIntId;
  order_version: number;
  confirmed: Generated<boolean>;
}

export interface SaleExchangeSessionTable {
  session_id: string;
  version: string | null;
  created_at: DefaultTimestamp;
}

export interface UnknownDocument {
  number: string | null;
  id: string | null;
}

export interface OrderImportRunTable {
  id: Generated<string>;
  session_id: string | null;
  generation: Generated<number>;
  file_name: string;
  file_size: BigIntId | null;
  status: "success" | "failed";
  documents: Generated<number>;
  applied: Generated<number>;
  unchanged: Generated<number>;
  unknown: Generated<number>;
  skipped: Generated<number>;
  unknown_documents: JSONColumnType<UnknownDocument[], string | undefined, string>;
  errors: JSONColumnType<string[], string | undefined, string>;
  error: string | null;
  request_id: string | null;
  created_at: DefaultTimestamp;
  finished_at: Timestamp | null;
}

export interface OrdersTables {
  orders: OrderTable;
  order_lines: OrderLineTable;
  order_export_batches: OrderExportBatchTable;
  order_export_items: OrderExportItemTable;
  sale_exchange_sessions: SaleExchangeSessionTable;
  order_import_runs: OrderImportRunTable;
}
