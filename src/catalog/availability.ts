/**
 * An offer's `inStock` and `canBeOrdered` (issue 7: "stock above zero in any warehouse that
 * serves orders"), from what 1C sent of its stock: rows per warehouse (`<Склад ИдСклада
 * КоличествоНаСкладе>`, `Остатки/Остаток`) and/or a total (`Количество`).
 *
 * - When the offer has stock rows, they decide: inStock if any row is above zero, canBeOrdered if
 *   any row of a warehouse that serves orders is. A total sent alongside is their sum and adds
 *   nothing.
 * - When 1C sent only the total (configurations that keep no per-warehouse stock for the site),
 *   inStock is total > 0. canBeOrdered is the same while every warehouse serves orders (the
 *   default, and vacuously so when 1C sent no warehouses at all): the stock then lies in a
 *   serving warehouse wherever it lies. Once any warehouse is marked as not serving orders, a
 *   total that does not say where it lies could be exactly the stock that may not be sold, so it
 *   no longer makes the offer orderable.
 *
 * Quantities at or below zero (1C sends negative stock after oversold documents) are no stock.
 */

export interface StockLevel {
  quantity: number;
  /** The warehouse serves orders (unmarked warehouses and ones 1C never described do). */
  servesOrders: boolean;
}

export interface Availability {
  inStock: boolean;
  canBeOrdered: boolean;
}

export function availability(
  stocks: readonly StockLevel[],
  total: number | null,
  everyWarehouseServesOrders: boolean,
): Availability {
  if (stocks.length > 0) {
    return {
      inStock: stocks.some((s) => s.quantity > 0),
      canBeOrdered: stocks.some((s) => s.quantity > 0 && s.servesOrders),
    };
  }
  const inStock = total !== null && total > 0;
  return { inStock, canBeOrdered: inStock && everyWarehouseServesOrders };
}
