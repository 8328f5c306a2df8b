/**
 * Platform roles → 1C price types (issue 7: "1C price types are mapped to the platform's customer
 * roles; one price type per role"). A role is what a customer carries in customers.role (retail,
 * wholesale levels, partner prices…); a product read with `?role=` shows that role's price.
 *
 * The mapping is one-to-one where it exists: a role has one price type, a price type serves at
 * most one role. Setting a price type's role therefore (1) drops the role it had, and (2) moves
 * the role away from the price type that held it. Both happen in one transaction.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import { clean } from "../customers/customer-fields.ts";
import type { PriceTypeView } from "./catalog-read-model.ts";

/** The longest role a customer may carry (src/customers/api-schemas.ts: `role: text(100)`). */
export const ROLE_MAX_LENGTH = 100;

/**
 * A role as customers store it (trimmed, runs of whitespace as one space), so that a customer's
 * `role` passed back as `?role=` always names the same role. Null for a blank one.
 */
export function normalizeRole(raw: string): string | null {
  return clean(raw);
}

export interface PriceRoleView {
  role: string;
  priceTypeId: string;
  priceType: string;
  currency: string | null;
}

export interface RoleChange {
  priceType: PriceTypeView;
  /** The price type the role was taken from, when it moved. */
  movedFrom: string | null;
  /** The role this price type served before, when it changed. */
  previousRole: string | null;
}

/**
 * Gives `priceTypeId` the role `role` (null: no role). Undefined when 1C never sent that price
 * type. Role writes are serialised by a lock on price_type_roles alone, so two concurrent moves
 * cannot both pass the uniqueness checks: readers are not blocked, and neither is a running
 * import (which locks price_types rows for a whole file; reading them takes no lock).
 */
export async function setPriceTypeRole(
  db: Db,
  priceTypeId: string,
  role: string | null,
): Promise<RoleChange | undefined> {
  return await db.transaction().execute(async (tx) => {
    await sql`LOCK TABLE price_type_roles IN EXCLUSIVE MODE`.execute(tx);
    const type = await tx.selectFrom("price_types")
      .select(["onec_id", "name", "currency"])
      .where("onec_id", "=", priceTypeId)
      .executeTakeFirst();
    if (!type) return undefined;

    const before = await tx.deleteFrom("price_type_roles")
      .where((eb) =>
        role === null
          ? eb("price_type_id", "=", priceTypeId)
          : eb.or([eb("price_type_id", "=", priceTypeId), eb("role", "=", role)])
      )
      .returning(["role", "price_type_id"])
      .execute();
    if (role !== null) {
      await tx.insertInto("price_type_roles")
        .values({ role, price_type_id: priceTypeId })
        .execute();
    }
    const ownOld = before.find((r) => r.price_type_id === priceTypeId);
    const taken = before.find((r) => r.price_type_id !== priceTypeId);
    return {
      priceType: { id: type.onec_id, name: type.name, currency: type.currency, role },
      movedFrom: taken?.price_type_id ?? null,
      previousRole: ownOld && ownOld.role !== role ? ownOld.role : null,
    };
  });
}

/** The price type that prices `role`, or undefined when no (existing) price type serves it. */
export async function priceTypeOfRole(db: Db, role: string): Promise<string | undefined> {
  const row = await db.selectFrom("price_type_roles as r")
    .innerJoin("price_types as pt", "pt.onec_id", "r.price_type_id")
    .select("r.price_type_id")
    .where("r.role", "=", role).executeTakeFirst();
  return row?.price_type_id;
}

/** Every mapped role, by role name. */
export async function priceRoles(db: Db): Promise<PriceRoleView[]> {
  const rows = await db.selectFrom("price_type_roles as r")
    .innerJoin("price_types as pt", "pt.onec_id", "r.price_type_id")
    .select(["r.role", "r.price_type_id", "pt.name", "pt.currency"])
    .orderBy("r.role")
    .execute();
  return rows.map((r) => ({
    role: r.role,
    priceTypeId: r.price_type_id,
    priceType: r.name,
    currency: r.currency,
  }));
}
