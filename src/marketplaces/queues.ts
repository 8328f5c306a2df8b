/** pg-boss queues of the marketplaces capability (created at start by src/queue.ts ensureQueues). */
import type { Queue } from "pg-boss";

export const MARKETPLACE_QUEUES: Record<string, Queue & { name: string }> = {};
