/**
 * Order lines as the platform sends them → lines as 1C must receive them: each offer looked
 * up in the catalog (by its 1C Ид), its name, article and unit copied onto the line, amounts
 * and totals computed exactly. Anything wrong is collected as issues for one clear 422.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import { formatScaled, lineAmountCents, toScaled } from "./money.ts";

export interface ItemInput {
  offerId: string;
  quantity: number;
  price: number;
}

export interface Issue {
  path: string;
  message: string;
}

export interface ResolvedLine {
  lineNo: number;
  offerId: string;
  productId: string;
  name: string;
  sku: string | null;
  unitCode: string | null;
  unitName: string | null;
  unitFullName: string | null;
  unitInternational: string | null;
  quantity: string;
  price: string;
  amount: string;
  amountCents: bigint;
}

/** The unit 1C assumes when the catalog names none (Bitrix sends the same). */
const DEFAULT_UNIT = { code: "796", name: "шт", fullName: "Штука", international: "PCE" };

export function checkMoney(value: number, path: string, issues: Issue[]): bigint | null {
  const cents = toScaled(value, 2);
  if (cents === null) {
    issues.push({ path, message: "must be an amount with at most 2 decimals" });
    return null;
  }
  if (cents < 0n) {
    issues.push({ path, message: "must not be negative" });
    return null;
  }
  return cents;
}

interface CatalogRow {
  onec_id: string;
  product_id: string;
  offer_name: string | null;
  offer_sku: string | null;
  product_name: string;
  product_sku: string | null;
  base_unit: string | null;
  unit_code: string | null;
  unit_name: string | null;
  unit_full_name: string | null;
  unit_international: string | null;
  is_active: boolean;
}

/**
 * Resolves and prices the lines. An `offerId` names an offer (`product` or
 * `product#characteristic`); a product that has no offer row yet (only import.xml came) is
 * accepted by its own Ид, as 1C would take it.
 */
export async function resolveLines(
  db: Db,
  items: ItemInput[],
  issues: Issue[],
): Promise<{ lines: ResolvedLine[]; itemsTotalCents: bigint }> {
  if (items.length === 0) {
    issues.push({ path: "items", message: "an order needs at least one item" });
  }
  const ids = [...new Set(items.map((i) => i.offerId.trim()))];
  const rows = ids.length === 0 ? [] : (await sql<CatalogRow>`
    WITH wanted AS (SELECT unnest(${ids}::text[]) AS id),
    found AS (
      SELECT w.id AS onec_id, o.product_id, o.name AS offer_name, o.sku AS offer_sku,
             o.is_active AND p.is_active AS is_active
      FROM wanted w JOIN offers o ON o.onec_id = w.id JOIN products p ON p.onec_id = o.product_id
      UNION ALL
      SELECT w.id, p.onec_id, NULL, NULL, p.is_active
      FROM wanted w JOIN products p ON p.onec_id = w.id
      WHERE NOT EXISTS (SELECT 1 FROM offers o WHERE o.onec_id = w.id)
    )
    SELECT f.onec_id, f.product_id, f.offer_name, f.offer_sku, f.is_active,
           p.name AS product_name, p.sku AS product_sku, p.base_unit,
           u.code AS unit_code, u.name AS unit_name, u.full_name AS unit_full_name,
           u.international AS unit_international
    FROM found f JOIN products p ON p.onec_id = f.product_id
    LEFT JOIN units u ON u.code = btrim(p.base_unit)
  `.execute(db)).rows;
  const byId = new Map(rows.map((r) => [r.onec_id, r]));

  const lines: ResolvedLine[] = [];
  let itemsTotalCents = 0n;
  items.forEach((item, i) => {
    const path = `items.${i}`;
    const offerId = item.offerId.trim();
    const row = byId.get(offerId);
    if (!row) issues.push({ path: `${path}.offerId`, message: `no offer with Ид ${offerId}` });
    else if (!row.is_active) {
      issues.push({
        path: `${path}.offerId`,
        message: `offer ${offerId} is inactive (deleted or deactivated in 1C)`,
      });
    }
    const qty = toScaled(item.quantity, 3);
    if (qty === null) {
      issues.push({ path: `${path}.quantity`, message: "must have at most 3 decimals" });
    } else if (qty <= 0n) {
      issues.push({ path: `${path}.quantity`, message: "must be positive" });
    }
    const price = checkMoney(item.price, `${path}.price`, issues);
    if (!row || qty === null || qty <= 0n || price === null) return;
    const amountCents = lineAmountCents(price, qty);
    itemsTotalCents += amountCents;
    lines.push({
      lineNo: i + 1,
      offerId,
      productId: row.product_id,
      name: row.offer_name?.trim() || row.product_name,
      sku: row.offer_sku?.trim() || row.product_sku?.trim() || null,
      ...unitOf(row),
      quantity: formatScaled(qty, 3),
      price: formatScaled(price, 2),
      amount: formatScaled(amountCents, 2),
      amountCents,
    });
  });
  return { lines, itemsTotalCents };
}

/** БазоваяЕдиница is a unit code (`796`, resolved through the classifier) or a name (`шт`). */
function unitOf(row: CatalogRow) {
  if (row.unit_code !== null) {
    return {
      unitCode: row.unit_code,
      unitName: row.unit_name,
      unitFullName: row.unit_full_name,
      unitInternational: row.unit_international,
    };
  }
  const base = row.base_unit?.trim() ?? "";
  if (base === "") {
    return {
      unitCode: DEFAULT_UNIT.code,
      unitName: DEFAULT_UNIT.name,
      unitFullName: DEFAULT_UNIT.fullName,
      unitInternational: DEFAULT_UNIT.international,
    };
  }
  if (/^\d+$/.test(base)) {
    return { unitCode: base, unitName: null, unitFullName: null, unitInternational: null };
  }
  return { unitCode: null, unitName: base, unitFullName: null, unitInternational: null };
}
