/**
 * Whether an error means "the database cannot be reached right now" (down, restarting, out of
 * connections), as opposed to a bug or a bad query: the API answers those with 503 and
 * Retry-After, which a client may retry, instead of a 500.
 */
const CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, recovery)
  "53300", // too_many_connections
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);

const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|the database system is (starting up|shutting down)|Client has encountered a connection error/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CODES.has(code)) return true;
    if (MESSAGES.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}
