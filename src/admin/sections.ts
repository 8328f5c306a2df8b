/**
 * Every section of the admin page below the import runs, in page order. The issue asks for
 * stock sync health per marketplace, customer sync stats and the customer conflict queue.
 * A section's `load` returns a table (or says why it cannot); row actions go in actions.ts.
 */
import { failedJobsSection } from "./failed-jobs.ts";
import { integrationLogSection } from "./integration-log.ts";
import { stockSyncSection } from "./stock-sync-section.ts";
import { conflictSection, customerSyncSection } from "./customer-sections.ts";
import type { AdminSection } from "./section-types.ts";

export const ADMIN_SECTIONS: readonly AdminSection[] = [
  stockSyncSection,
  customerSyncSection,
  conflictSection,
  failedJobsSection,
  integrationLogSection,
];
