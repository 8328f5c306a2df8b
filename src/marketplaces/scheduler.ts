/** Croner schedules of the marketplace capability; returns a stop function. */
import type { AppContext } from "../context.ts";

export function startMarketplaceScheduler(_ctx: AppContext): () => void {
  return () => {};
}
