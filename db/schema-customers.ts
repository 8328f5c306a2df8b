/** Kysely types of the customers tables (mirrors db/migrations/003-customers.ts). */
import type { ColumnType, Generated, JSONColumnType } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type BigIntCol = ColumnType<string, string | number | bigint, string | number | bigint>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;

export type CustomerType = "individual" | "legal_entity";
export type SyncStatus = "pending" | "synced" | "error" | "conflict";
export type ChangeSource = "platform" | "1c";
export type SyncOperation = "import_from_1c" | "export_to_1c" | "sync_changes";
export type SyncLogStatus = "success" | "error" | "skipped";
export type ConflictKind = "email_linked_to_other" | "role_change";
export type ConflictResolution = "keep_platform" | "take_1c" | "merge";

export interface CustomerTable {
  id: Generated<string>;
  email: string | null;
  email_normalized: string | null;
  phone: string | null;
  phone_e164: string | null;
  first_name: string | null;
  last_name: string | null;
  company_name: string | null;
  tax_id: string | null;
  kpp: string | null;
  customer_type: CustomerType;
  role: string | null;
  contact_person: string | null;
  address: string | null;
  onec_id: string | null;
  onec_version: string | null;
  onec_changed_at: Timestamp | null;
  sync_status: ColumnType<SyncStatus, SyncStatus | undefined, SyncStatus>;
  sync_error_message: string | null;
  last_sync_at: Timestamp | null;
  first_synced_at: Timestamp | null;
  created_in_1c: Generated<boolean>;
  needs_1c_export: Generated<boolean>;
  last_change_source: ChangeSource;
  onec_fields_hash: string | null;
  import_hash: string | null;
  export_dead_lettered_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface CustomerSyncLogTable {
  id: Generated<string>;
  customer_id: string | null;
  operation: SyncOperation;
  status: SyncLogStatus;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  error_message: string | null;
  created_at: DefaultTimestamp;
}

/** The customer fields a conflict shows side by side (camelCase, as the API shows them). */
export type ConflictValues = Record<string, string | null>;

export interface CustomerConflictTable {
  id: Generated<string>;
  customer_id: string;
  kind: ConflictKind;
  onec_id: string;
  platform_values: Json<ConflictValues>;
  onec_values: Json<ConflictValues>;
  onec_changed_at: Timestamp | null;
  onec_version: string | null;
  incoming_hash: string;
  status: ColumnType<
    "open" | "resolved" | "superseded",
    "open" | "resolved" | "superseded" | undefined,
    "open" | "resolved" | "superseded"
  >;
  resolution: ConflictResolution | null;
  resolved_at: Timestamp | null;
  import_run_id: BigIntCol | null;
  created_at: DefaultTimestamp;
}

export interface CustomerImportCounts {
  created: number;
  updated: number;
  unchanged: number;
  conflicts: number;
  skipped: number;
}

export interface CustomerImportRunTable {
  id: Generated<string>;
  label: string;
  upload_file_id: BigIntCol | null;
  status: ColumnType<
    "queued" | "running" | "success" | "failed",
    "queued" | "running" | "success" | "failed" | undefined,
    "queued" | "running" | "success" | "failed"
  >;
  progress: string | null;
  file_size: BigIntCol | null;
  bytes_read: ColumnType<string, string | number | undefined, string | number>;
  counts: ColumnType<
    Partial<CustomerImportCounts>,
    string | undefined,
    string
  >;
  errors: ColumnType<string[], string | undefined, string>;
  error: string | null;
  request_id: string | null;
  job_id: string | null;
  attempt: Generated<number>;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface CustomersTables {
  customers: CustomerTable;
  customer_sync_log: CustomerSyncLogTable;
  customer_conflicts: CustomerConflictTable;
  customer_import_runs: CustomerImportRunTable;
}
