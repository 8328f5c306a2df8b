/** Kysely types of the integration log (mirrors db/migrations/006-integration-log.ts). */
import type { ColumnType, Generated } from "kysely";

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type BigIntCol = ColumnType<string, string | number | bigint, string | number | bigint>;

export const INTEGRATION_KINDS = ["exchange", "onec-http", "ozon", "wildberries"] as const;
export type IntegrationKind = typeof INTEGRATION_KINDS[number];

export const INTEGRATION_STATUSES = ["success", "failure", "progress", "error"] as const;
export type IntegrationStatus = typeof INTEGRATION_STATUSES[number];

export type IntegrationDirection = "inbound" | "outbound";

export interface IntegrationLogTable {
  id: Generated<string>;
  at: DefaultTimestamp;
  kind: IntegrationKind;
  direction: IntegrationDirection;
  method: string;
  url: string;
  exchange_type: string | null;
  mode: string | null;
  file: string | null;
  status: IntegrationStatus;
  http_status: number | null;
  duration_ms: number;
  request_id: string | null;
  ref: string | null;
  client_ip: string | null;
  request_bytes: BigIntCol | null;
  request_body: string | null;
  response_body: string | null;
  error: string | null;
}

/** Tables of the integration log capability (migration 006-integration-log). */
export interface IntegrationLogTables {
  integration_log: IntegrationLogTable;
}
