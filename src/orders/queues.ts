/** pg-boss queues of the orders capability (created at start by src/queue.ts ensureQueues). */
import type { Queue } from "pg-boss";

export const ORDER_QUEUES: Record<string, Queue & { name: string }> = {};
