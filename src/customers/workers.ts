/** Starts the customers workers in this process; returns a stop function. */
import type { AppContext } from "../context.ts";

export function startCustomerWorkers(_ctx: AppContext): Promise<() => Promise<void>> {
  return Promise.resolve(() => Promise.resolve());
}
