/**
 * When an export reaches 1C, worst case, given the retry settings: the arithmetic behind the
 * promise "a new registration reaches 1C within 15 minutes even after 3 failures".
 *
 * pg-boss 12 schedules a retry of a job that failed on attempt `n` (retry_count n, from 0) at
 *   now + retryDelay * (2^min(16, n+1) / 2 + 2^min(16, n+1) / 2 * random())   (retryBackoff)
 *   now + retryDelay                                                             (otherwise)
 * (plans.js, failJobs), i.e. in [retryDelay·2^n, 2·retryDelay·2^n) with backoff.
 */
import type { CustomersConfig } from "./config.ts";

/** How often the export worker looks for due jobs. */
export const EXPORT_POLL_SECONDS = 1;

/** pg-boss's retry delay after a failure of the attempt with retry count `n`: [min, max). */
export function retryDelayRange(
  n: number,
  retryDelaySeconds: number,
  backoff: boolean,
): [number, number] {
  if (!backoff) return [retryDelaySeconds, retryDelaySeconds];
  const factor = 2 ** Math.min(16, n + 1) / 2;
  const base = Math.max(retryDelaySeconds, 1); // pg-boss: GREATEST(retry_delay, 1)
  return [base * factor, 2 * base * factor];
}

/** Backoff is on whenever there is a delay to back off from (0 means retry at once). */
export function usesBackoff(c: Pick<CustomersConfig, "exportRetryDelaySeconds">): boolean {
  return c.exportRetryDelaySeconds > 0;
}

/**
 * Upper bound, in seconds from registration, for the export to reach 1C when its first
 * `failures` attempts fail, each as slowly as possible (a timeout), and every wait for the
 * worker's poll is as long as it can be. Null when `failures` exceeds the retry limit: the
 * job is dead-lettered before it gets another attempt.
 */
export function worstCaseDeliverySeconds(
  c: Pick<
    CustomersConfig,
    | "exportDebounceSeconds"
    | "exportRetryDelaySeconds"
    | "exportRetryLimit"
    | "onecHttpTimeoutSeconds"
  >,
  failures: number,
): number | null {
  if (failures > c.exportRetryLimit) return null;
  const backoff = usesBackoff(c);
  let total = c.exportDebounceSeconds + EXPORT_POLL_SECONDS;
  for (let n = 0; n < failures; n++) {
    total += c.onecHttpTimeoutSeconds; // the failed attempt
    total += retryDelayRange(n, c.exportRetryDelaySeconds, backoff)[1] + EXPORT_POLL_SECONDS;
  }
  return total + c.onecHttpTimeoutSeconds; // the attempt that succeeds
}

/** Upper bound from registration to the dead letter queue when every attempt fails. */
export function worstCaseDeadLetterSeconds(
  c: Parameters<typeof worstCaseDeliverySeconds>[0],
): number {
  // Reaching the last attempt is "delivery after retryLimit failures" minus that attempt's
  // success; the last attempt then fails instead, which takes as long.
  return worstCaseDeliverySeconds(c, c.exportRetryLimit)!;
}
