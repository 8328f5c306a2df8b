/** Environment variables of the integration log, validated with valibot at start. */
import * as v from "valibot";
import { parseEnv } from "../config-env.ts";

export interface IntegrationLogConfig {
  /** Rows older than this many days are deleted by the daily pruning job ("90 days"). */
  retentionDays: number;
}

const Env = v.object({
  INTEGRATION_LOG_RETENTION_DAYS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number of days"),
      v.transform(Number),
      v.minValue(1, "must be at least 1"),
      v.maxValue(3650, "must be at most 3650"),
    ),
    "90",
  ),
});

export function parseIntegrationLogConfig(env: Record<string, string>): IntegrationLogConfig {
  const e = parseEnv(Env, env);
  return { retentionDays: e.INTEGRATION_LOG_RETENTION_DAYS };
}
