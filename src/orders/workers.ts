/** Starts the orders workers in this process; returns a stop function. */
import type { AppContext } from "../context.ts";

export function startOrderWorkers(_ctx: AppContext): Promise<() => Promise<void>> {
  return Promise.resolve(() => Promise.resolve());
}
