/** pg-boss queues of the marketplaces capability (created at start by src/queue.ts ensureQueues). */
import type { Queue } from "pg-boss";
import type { MarketplaceSource, SyncKind, SyncTrigger } from "../../db/schema-marketplaces.ts";

export const MARKETPLACE_QUEUES = {
  /**
   * One stock sync run (read or push) of one source. Scheduled jobs carry a job id derived
   * from their cron slot, so every instance that fires for a slot enqueues the same job and
   * pg-boss keeps one. Failures of a run are recorded on the run and do not throw; a retry
   * only happens when a worker died mid-run (heartbeat), and it resumes the same run.
   */
  stockSync: {
    name: "marketplace-stock-sync",
    policy: "standard",
    retryLimit: 2,
    retryDelay: 30,
    retryBackoff: true,
    heartbeatSeconds: 60,
    expireInSeconds: 4 * 3600,
  },
} as const satisfies Record<string, Queue & { name: string }>;

export interface StockSyncJobData {
  source: MarketplaceSource;
  kind: SyncKind;
  trigger: SyncTrigger;
  /** Scheduled runs: the cron slot (ISO). */
  slot?: string;
  /** Manual runs: the run row created when the request was accepted. */
  runId?: string;
}
