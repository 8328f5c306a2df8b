/** pg-boss queues of the customers capability (created at start by src/queue.ts ensureQueues). */
import type { Queue } from "pg-boss";

export const CUSTOMER_QUEUES: Record<string, Queue & { name: string }> = {};
