/**
 * Which 1C warehouses serve the platform's orders (issue 7: "stock above zero in any warehouse
 * that serves orders; warehouses are marked through the API"). Every warehouse serves orders
 * until marked otherwise; the marks are the platform's (warehouse_order_flags, see
 * db/migrations/005-platform-pricing.ts), so a re-import from 1C keeps them.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { WarehouseView } from "./catalog-read-model.ts";

/** `serves_orders` of a warehouse row joined (left) to its flag `f`: true when unmarked. */
export const servesOrdersOf = sql<boolean>`COALESCE(f.serves_orders, true)`;

/** Marks a warehouse; undefined when 1C never sent a warehouse with that Ид. */
export async function setServesOrders(
  db: Db,
  warehouseId: string,
  servesOrders: boolean,
): Promise<WarehouseView | undefined> {
  const warehouse = await db.selectFrom("warehouses").select(["onec_id", "name"])
    .where("onec_id", "=", warehouseId).executeTakeFirst();
  if (!warehouse) return undefined;
  await db.insertInto("warehouse_order_flags")
    .values({ warehouse_id: warehouseId, serves_orders: servesOrders })
    .onConflict((oc) =>
      oc.column("warehouse_id").doUpdateSet({ serves_orders: servesOrders, updated_at: sql`now()` })
    )
    .execute();
  return { id: warehouse.onec_id, name: warehouse.name, servesOrders };
}
