/**
 * Reference data of the catalog as the read API shows it: the group tree, price types (with
 * the platform role each serves, src/catalog/price-roles.ts) and warehouses (with whether they
 * serve orders, src/catalog/order-warehouses.ts). These are small (hundreds of rows), so they
 * are read whole.
 */
import type { Db } from "../../db/pool.ts";
import { servesOrdersOf } from "./order-warehouses.ts";

export interface CategoryView {
  id: string;
  name: string;
  isActive: boolean;
  children: CategoryView[];
}

export interface PriceTypeView {
  id: string;
  name: string;
  currency: string | null;
  /** The platform role this price type prices, if any. */
  role: string | null;
}

export interface WarehouseView {
  id: string;
  name: string;
  /** Whether its stock makes an offer orderable (`canBeOrdered`); true unless marked. */
  servesOrders: boolean;
}

/**
 * Groups as a tree, siblings by position then name. A group whose parent is unknown is shown
 * at the top rather than hidden; so is a group caught in a parent cycle, which would otherwise
 * hang below nothing reachable.
 */
export async function categoryTree(db: Db): Promise<CategoryView[]> {
  const rows = await db.selectFrom("groups")
    .select(["onec_id", "parent_id", "name", "position", "is_active"])
    .orderBy("position").orderBy("name").orderBy("onec_id")
    .execute();

  const nodes = new Map<string, CategoryView>();
  for (const r of rows) {
    nodes.set(r.onec_id, { id: r.onec_id, name: r.name, isActive: r.is_active, children: [] });
  }
  const childIds = new Map<string, string[]>();
  const roots: string[] = [];
  for (const r of rows) {
    if (r.parent_id !== null && r.parent_id !== r.onec_id && nodes.has(r.parent_id)) {
      const list = childIds.get(r.parent_id);
      if (list) list.push(r.onec_id);
      else childIds.set(r.parent_id, [r.onec_id]);
    } else {
      roots.push(r.onec_id);
    }
  }

  const placed = new Set<string>();
  const build = (id: string): CategoryView => {
    placed.add(id);
    const node = nodes.get(id)!;
    for (const child of childIds.get(id) ?? []) {
      if (!placed.has(child)) node.children.push(build(child));
    }
    return node;
  };
  const tree = roots.map(build);
  // Rows are in sibling order, so cycle members surface in a stable, sensible order.
  for (const r of rows) {
    if (!placed.has(r.onec_id)) tree.push(build(r.onec_id));
  }
  return tree;
}

export async function priceTypes(db: Db): Promise<PriceTypeView[]> {
  const rows = await db.selectFrom("price_types as pt")
    .leftJoin("price_type_roles as r", "r.price_type_id", "pt.onec_id")
    .select(["pt.onec_id", "pt.name", "pt.currency", "r.role"])
    .orderBy("pt.name").orderBy("pt.onec_id").execute();
  return rows.map((r) => ({ id: r.onec_id, name: r.name, currency: r.currency, role: r.role }));
}

export async function warehouses(db: Db): Promise<WarehouseView[]> {
  const rows = await db.selectFrom("warehouses as w")
    .leftJoin("warehouse_order_flags as f", "f.warehouse_id", "w.onec_id")
    .select(["w.onec_id", "w.name", servesOrdersOf.as("serves_orders")])
    .orderBy("w.name").orderBy("w.onec_id").execute();
  return rows.map((r) => ({ id: r.onec_id, name: r.name, servesOrders: r.serves_orders }));
}
