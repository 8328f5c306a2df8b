/**
 * Environment variables of the marketplaces capability (Ozon and Wildberries stock sync),
 * validated with valibot at start. A marketplace without credentials is simply not synced.
 */
import * as v from "valibot";
import { Cron } from "croner";
import { ConfigError, isTimeZone, parseEnv } from "../config-env.ts";

export interface OzonConfig {
  /** Public seller id; also the `account` of inventory rows. */
  clientId: string;
  apiKey: string;
  baseUrl: string;
}

export interface WildberriesConfig {
  token: string;
  marketplaceBaseUrl: string;
  analyticsBaseUrl: string;
  contentBaseUrl: string;
  /** WB tokens carry no readable seller id, so rows are filed under this name. */
  account: string;
}

export interface MarketplacesConfig {
  ozon: OzonConfig | null;
  wildberries: WildberriesConfig | null;
  cron: string;
  timezone: string;
  /** Longest gap between two slots of `cron`; a source is stale after two without success. */
  intervalSeconds: number;
  logRetentionDays: number;
  /** A read whose total available stock falls by more than this share is an anomaly. */
  anomalyDropShare: number;
  /** "Zero rows where the previous run had many": at least this many rows. */
  anomalyMinRows: number;
  alertWebhookUrl: string | null;
  http: {
    timeoutMs: number;
    /** First backoff after a 5xx or a timeout; doubles per attempt. */
    retryBaseMs: number;
    /** Multiplies every documented per-method interval; 0 turns client-side pacing off. */
    pacingScale: number;
  };
  ozonPageSize: number;
  wbPageSize: number;
  /** Pushes after back-to-back 1C stock imports fold into one per this many seconds. */
  pushDebounceSeconds: number;
}

const url = (name: string) =>
  v.pipe(
    v.string(),
    v.url(`${name} must be an absolute URL`),
    v.transform((s) => s.replace(/\/+$/, "")),
  );

const int = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );

const decimal = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, `${name} must be a number`),
    v.transform(Number),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );

const Env = v.object({
  OZON_CLIENT_ID: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "must be the numeric Client-Id"))),
  OZON_API_KEY: v.optional(v.string()),
  OZON_BASE_URL: v.optional(url("OZON_BASE_URL"), "https://api-seller.ozon.ru"),
  WB_TOKEN: v.optional(v.string()),
  WB_ACCOUNT: v.optional(v.string(), "default"),
  WB_MARKETPLACE_BASE_URL: v.optional(
    url("WB_MARKETPLACE_BASE_URL"),
    "https://marketplace-api.wildberries.ru",
  ),
  WB_ANALYTICS_BASE_URL: v.optional(
    url("WB_ANALYTICS_BASE_URL"),
    "https://seller-analytics-api.wildberries.ru",
  ),
  WB_CONTENT_BASE_URL: v.optional(url("WB_CONTENT_BASE_URL"), "https://content-api.wildberries.ru"),
  STOCK_SYNC_CRON: v.optional(v.string(), "0 */6 * * *"),
  STOCK_SYNC_TZ: v.optional(v.string(), "UTC"),
  STOCK_SYNC_LOG_RETENTION_DAYS: v.optional(int("STOCK_SYNC_LOG_RETENTION_DAYS", 1, 3650), "90"),
  STOCK_SYNC_ANOMALY_DROP: v.optional(decimal("STOCK_SYNC_ANOMALY_DROP", 0.01, 1), "0.5"),
  STOCK_SYNC_ANOMALY_MIN_ROWS: v.optional(int("STOCK_SYNC_ANOMALY_MIN_ROWS", 1, 1e9), "50"),
  ALERT_WEBHOOK_URL: v.optional(url("ALERT_WEBHOOK_URL")),
  MARKETPLACE_HTTP_TIMEOUT_MS: v.optional(
    int("MARKETPLACE_HTTP_TIMEOUT_MS", 100, 600_000),
    "30000",
  ),
  MARKETPLACE_RETRY_BASE_MS: v.optional(int("MARKETPLACE_RETRY_BASE_MS", 0, 60_000), "1000"),
  MARKETPLACE_PACING_SCALE: v.optional(decimal("MARKETPLACE_PACING_SCALE", 0, 100), "1"),
  OZON_PAGE_SIZE: v.optional(int("OZON_PAGE_SIZE", 1, 1000), "1000"),
  WB_PAGE_SIZE: v.optional(int("WB_PAGE_SIZE", 1, 250_000), "250000"),
  STOCK_PUSH_DEBOUNCE_SECONDS: v.optional(int("STOCK_PUSH_DEBOUNCE_SECONDS", 1, 3600), "10"),
});

/** Throws ConfigError (src/config-env.ts) naming the variable when a value is bad. */
export function parseMarketplacesConfig(
  env: Record<string, string>,
  _production: boolean,
): MarketplacesConfig {
  const e = parseEnv(Env, env);
  // Half a pair of credentials is a typo, not "this marketplace is off": say so at start.
  if ((e.OZON_CLIENT_ID === undefined) !== (e.OZON_API_KEY === undefined)) {
    const missing = e.OZON_CLIENT_ID === undefined ? "OZON_CLIENT_ID" : "OZON_API_KEY";
    throw new ConfigError(`${missing}: required when the other Ozon credential is set`);
  }
  if (!isTimeZone(e.STOCK_SYNC_TZ)) {
    throw new ConfigError(`STOCK_SYNC_TZ: unknown time zone "${e.STOCK_SYNC_TZ}"`);
  }
  let runs: Date[];
  try {
    runs = new Cron(e.STOCK_SYNC_CRON, { paused: true, timezone: e.STOCK_SYNC_TZ }).nextRuns(8);
  } catch (err) {
    throw new ConfigError(`STOCK_SYNC_CRON: ${(err as Error).message}`);
  }
  if (runs.length < 2) throw new ConfigError("STOCK_SYNC_CRON: the schedule never repeats");
  // Irregular schedules ("0 9,18 * * *") have uneven gaps: staleness uses the longest one, so
  // the long night gap does not raise a false alarm.
  let intervalMs = 0;
  for (let i = 1; i < runs.length; i++) {
    intervalMs = Math.max(intervalMs, runs[i].getTime() - runs[i - 1].getTime());
  }
  return {
    ozon: e.OZON_CLIENT_ID && e.OZON_API_KEY
      ? { clientId: e.OZON_CLIENT_ID, apiKey: e.OZON_API_KEY, baseUrl: e.OZON_BASE_URL }
      : null,
    wildberries: e.WB_TOKEN
      ? {
        token: e.WB_TOKEN,
        marketplaceBaseUrl: e.WB_MARKETPLACE_BASE_URL,
        analyticsBaseUrl: e.WB_ANALYTICS_BASE_URL,
        contentBaseUrl: e.WB_CONTENT_BASE_URL,
        account: e.WB_ACCOUNT,
      }
      : null,
    cron: e.STOCK_SYNC_CRON,
    timezone: e.STOCK_SYNC_TZ,
    intervalSeconds: Math.round(intervalMs / 1000),
    logRetentionDays: e.STOCK_SYNC_LOG_RETENTION_DAYS,
    anomalyDropShare: e.STOCK_SYNC_ANOMALY_DROP,
    anomalyMinRows: e.STOCK_SYNC_ANOMALY_MIN_ROWS,
    alertWebhookUrl: e.ALERT_WEBHOOK_URL ?? null,
    http: {
      timeoutMs: e.MARKETPLACE_HTTP_TIMEOUT_MS,
      retryBaseMs: e.MARKETPLACE_RETRY_BASE_MS,
      pacingScale: e.MARKETPLACE_PACING_SCALE,
    },
    ozonPageSize: e.OZON_PAGE_SIZE,
    wbPageSize: e.WB_PAGE_SIZE,
    pushDebounceSeconds: e.STOCK_PUSH_DEBOUNCE_SECONDS,
  };
}
