/**
 * Every section of the admin page below the import runs, in page order. The issue asks for
 * stock sync health per marketplace, customer sync stats and the customer conflict queue;
 * until those capabilities expose read functions, their sections say so (they must never
 * invent numbers). To fill one in, replace its `load` with a function that returns a table;
 * row actions (e.g. resolving a conflict) go in actions.ts.
 */
import { failedJobsSection } from "./failed-jobs.ts";
import { integrationLogSection } from "./integration-log.ts";
import { stockSyncSection } from "./stock-sync-section.ts";
import type { AdminSection } from "./section-types.ts";

const notAvailableYet = (id: string, title: string, what: string): AdminSection => ({
  id,
  title,
  load: () => Promise.resolve({ available: false, reason: `Not available yet: ${what}.` }),
});

export const ADMIN_SECTIONS: readonly AdminSection[] = [
  stockSyncSection,
  notAvailableYet(
    "customer-sync",
    "Customer sync stats",
    "the customers capability does not expose its sync stats to this page yet",
  ),
  notAvailableYet(
    "conflicts",
    "Customer conflict queue",
    "the customers capability does not expose its conflict queue or resolve actions yet",
  ),
  failedJobsSection,
  integrationLogSection,
];
