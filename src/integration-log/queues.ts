/** The integration log's queue: the daily pruning (src/integration-log/workers.ts). */
import type { Queue } from "pg-boss";

export const INTEGRATION_LOG_PRUNE_QUEUE = {
  name: "integration-log-prune",
  policy: "singleton",
  retryLimit: 2,
  retryDelay: 300,
  expireInSeconds: 3600,
} as const satisfies Queue & { name: string };
