/**
 * Row actions of the admin page's sections, by name: POST /admin/actions/{name} runs the
 * handler with the form's fields (CSRF-checked by the route). A capability adds its actions
 * here (e.g. "resolve-conflict" for the customer conflict queue).
 */
import { retryFailedJob } from "./failed-jobs.ts";
import { resolveConflictAction } from "./customer-sections.ts";
import type { AdminActionHandler } from "./section-types.ts";

export const ADMIN_ACTIONS: Readonly<Record<string, AdminActionHandler>> = {
  "retry-job": retryFailedJob,
  "resolve-conflict": resolveConflictAction,
};
