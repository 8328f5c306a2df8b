/**
 * pg-boss queues of the customers capability (created at start by src/queue.ts ensureQueues,
 * in this order: a dead letter queue must exist before the queue that names it).
 *
 * The retry options here are the production defaults the queue is created with; every export
 * job is sent with the configured ones (src/customers/export-queue.ts), so the environment
 * decides.
 */
import type { Queue } from "pg-boss";

export const CUSTOMER_EXPORT_DEAD_LETTER = "customer-export-dead-letter";

export const CUSTOMER_QUEUES = {
  /**
   * Exports whose retries ran out. Nothing works this queue: jobs wait here to be listed and
   * retried through the API (GET/POST /api/v1/customers/dead-letters…), for 30 days.
   */
  exportDeadLetter: {
    name: CUSTOMER_EXPORT_DEAD_LETTER,
    policy: "standard",
    retentionSeconds: 30 * 86400,
  },
  /**
   * One customer to 1C. `stately` with singletonKey = customer id: at most one job per customer
   * waits to run (a burst of edits coalesces into it) and one runs at a time; an edit made
   * while a job runs queues exactly one follow-up.
   */
  export: {
    name: "customer-export",
    policy: "stately",
    retryLimit: 5,
    retryDelay: 30,
    retryBackoff: true,
    deadLetter: CUSTOMER_EXPORT_DEAD_LETTER,
    expireInSeconds: 90,
  },
  /**
   * One Контрагенты file. `singleton`: files import one at a time, so two files never resolve
   * the same counterparty concurrently.
   */
  import: {
    name: "customer-import",
    policy: "singleton",
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    heartbeatSeconds: 30,
    expireInSeconds: 6 * 3600,
  },
} as const satisfies Record<string, Queue>;

/** Job data of `customer-export`. */
export interface CustomerExportJobData {
  customerId: string;
  requestId?: string;
}

/** Job data of `customer-import`: an uploaded file (src/exchange/uploads.ts) to import. */
export interface CustomerImportJobData {
  uploadFileId: string;
  requestId?: string;
}
