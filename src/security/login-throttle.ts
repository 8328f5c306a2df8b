/**
 * Brute-force throttling of credentials (1C's checkauth, API bearer tokens), per client
 * address, counted in Postgres so that every instance sees every attempt. After `limit`
 * failures within `windowSeconds`, further attempts from that address are refused without
 * looking at the credentials until the window ends.
 */
import type pg from "pg";

export interface ThrottleOptions {
  limit: number;
  windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { limit: 10, windowSeconds: 600 };

/** Seconds until the address may try again, or 0 when it may try now. */
export async function lockedOutFor(
  pool: pg.Pool,
  client: string,
  scope: string,
  opts: ThrottleOptions = DEFAULT_THROTTLE,
): Promise<number> {
  const r = await pool.query<{ wait: number }>(
    `SELECT ceil(extract(epoch FROM window_start + make_interval(secs => $3) - now()))::int AS wait
     FROM auth_failures WHERE client = $1 AND scope = $2 AND failures >= $4
       AND window_start > now() - make_interval(secs => $3)`,
    [client, scope, opts.windowSeconds, opts.limit],
  );
  return Math.max(0, r.rows[0]?.wait ?? 0);
}

export async function recordFailure(
  pool: pg.Pool,
  client: string,
  scope: string,
  opts: ThrottleOptions = DEFAULT_THROTTLE,
): Promise<number> {
  const r = await pool.query<{ failures: number }>(
    `INSERT INTO auth_failures (client, scope, window_start, failures) VALUES ($1, $2, now(), 1)
     ON CONFLICT (client, scope) DO UPDATE SET
       failures = CASE WHEN auth_failures.window_start > now() - make_interval(secs => $3)
         THEN auth_failures.failures + 1 ELSE 1 END,
       window_start = CASE WHEN auth_failures.window_start > now() - make_interval(secs => $3)
         THEN auth_failures.window_start ELSE now() END
     RETURNING failures`,
    [client, scope, opts.windowSeconds],
  );
  return r.rows[0].failures;
}

export async function clearFailures(pool: pg.Pool, client: string, scope: string): Promise<void> {
  await pool.query("DELETE FROM auth_failures WHERE client = $1 AND scope = $2", [client, scope]);
}
