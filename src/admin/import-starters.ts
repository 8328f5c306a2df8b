/**
 * What "Start an import" offers, and how each kind is started. A kind without a starter is
 * shown greyed out with the reason; a capability that gains an import fills in `start` here
 * and the form offers it.
 */
import type { AppContext } from "../context.ts";
import { replayExchange, type ReplayResult } from "../imports/replay.ts";

export type StartResult = ReplayResult;

export interface ImportStarter {
  value: string;
  label: string;
  hint: string;
  start:
    | ((
      ctx: AppContext,
      opts: { exchangeId: string; requestId: string | null },
    ) => Promise<StartResult>)
    | null;
  /** Why `start` is null. */
  unavailable?: string;
}

const replay =
  (kind: "catalog" | "offers" | "prices" | "rests"): ImportStarter["start"] => (ctx, opts) =>
    replayExchange(ctx, { ...opts, kind });

export const IMPORT_STARTERS: readonly ImportStarter[] = [
  {
    value: "catalog",
    label: "catalog",
    hint: "groups, properties and products (import.xml)",
    start: replay("catalog"),
  },
  {
    value: "offers",
    label: "offers",
    hint: "offers with their prices and stock (offers.xml)",
    start: replay("offers"),
  },
  { value: "prices", label: "prices", hint: "prices only (prices.xml)", start: replay("prices") },
  // The issue says "stocks"; CommerceML 3 calls the file rests.xml (Остатки).
  { value: "rests", label: "stocks", hint: "stock only (rests.xml)", start: replay("rests") },
  {
    value: "customers",
    label: "customers",
    hint: "counterparties",
    start: null,
    unavailable: "not available yet: the customers import has no starter here",
  },
];

export function starterFor(kind: string): ImportStarter | undefined {
  return IMPORT_STARTERS.find((s) => s.value === kind);
}
