/**
 * Buyers named in 1C's documents → the platform's customers. The customers capability
 * (identity resolution) is built separately; until it plugs in here, a document's buyer is
 * only recorded on its order (1C's counterparty Ид as `customer_onec_id`, which the next
 * mode=query sends back so that 1C does not create the counterparty twice).
 */
import type { AppContext } from "../context.ts";
import type { SaleCounterparty } from "./document-reader.ts";
import { resolveBuyer } from "../customers/import-counterparties.ts";

export interface DocumentBuyer {
  orderId: string;
  buyer: SaleCounterparty;
}

/** Called once per imported file with the buyers of the orders it matched. */
export type BuyerResolver = (ctx: AppContext, buyers: DocumentBuyer[]) => Promise<void>;

export const recordOnOrderOnly: BuyerResolver = () => Promise.resolve();

/**
 * The customers capability's identity resolution (onecId, then email, then phone with name):
 * each buyer becomes (or is found as) a platform customer, and its order points to it.
 * Conflicts wait for a person; the order keeps 1C's Ид meanwhile.
 */
export const resolveThroughCustomers: BuyerResolver = async (ctx, buyers) => {
  for (const { orderId, buyer } of buyers) {
    if (!buyer.id) continue;
    const contact = (kind: RegExp) => buyer.contacts.find((c) => kind.test(c.type))?.value ?? null;
    const r = await resolveBuyer(ctx, {
      onecId: buyer.id,
      name: buyer.name,
      fullName: buyer.fullName,
      officialName: buyer.officialName,
      lastName: buyer.lastName,
      firstName: buyer.firstName,
      middleName: buyer.middleName,
      taxId: buyer.inn,
      kpp: buyer.kpp,
      email: contact(/почт|mail/i),
      phone: contact(/телефон|phone/i),
    });
    if (r.customerId) {
      await ctx.db.updateTable("orders").set({ customer_id: r.customerId })
        .where("id", "=", orderId).where("customer_id", "is", null).execute();
    }
  }
};
