/**
 * Buyers named in 1C's documents → the platform's customers. The customers capability
 * (identity resolution) is built separately; until it plugs in here, a document's buyer is
 * only recorded on its order (1C's counterparty Ид as `customer_onec_id`, which the next
 * mode=query sends back so that 1C does not create the counterparty twice).
 */
import type { AppContext } from "../context.ts";
import type { SaleCounterparty } from "./document-reader.ts";

export interface DocumentBuyer {
  orderId: string;
  buyer: SaleCounterparty;
}

/** Called once per imported file with the buyers of the orders it matched. */
export type BuyerResolver = (ctx: AppContext, buyers: DocumentBuyer[]) => Promise<void>;

export const recordOnOrderOnly: BuyerResolver = () => Promise.resolve();
