/** Kysely types of the platform pricing tables (mirrors db/migrations/005-platform-pricing.ts). */
import type { ColumnType } from "kysely";

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A platform role → the 1C price type (ТипЦены) whose prices its customers get. */
export interface PriceTypeRoleTable {
  /** The platform's role name, as customers carry it (customers.role). */
  role: string;
  /** price_types.onec_id; each price type serves at most one role. */
  price_type_id: string;
  updated_at: DefaultTimestamp;
}

/** A warehouse marked through the API; one without a row serves orders. */
export interface WarehouseOrderFlagTable {
  /** warehouses.onec_id */
  warehouse_id: string;
  serves_orders: boolean;
  updated_at: DefaultTimestamp;
}

export interface PlatformPricingTables {
  price_type_roles: PriceTypeRoleTable;
  warehouse_order_flags: WarehouseOrderFlagTable;
}
