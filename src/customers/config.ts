/** Environment variables of the customers capability, validated with valibot at start. */
import * as v from "valibot";
import { ConfigError, ianaTimeZone, parseEnv } from "../config-env.ts";

export interface CustomersConfig {
  /**
   * Base URL of the HTTP service 1C publishes for customers (`POST {url}/customers`,
   * `PUT {url}/customers/{onecId}`). Null: nothing is sent; customers wait with
   * needs1cExport=true until it is set (then `deno task sync-customers --direction export`).
   */
  onecHttpUrl: string | null;
  onecHttpLogin: string | null;
  onecHttpPassword: string | null;
  /** Per request to 1C; a slower answer counts as a failed attempt and is retried. */
  onecHttpTimeoutSeconds: number;
  /** Retries of one export after its first attempt, then the job goes to the dead letter queue. */
  exportRetryLimit: number;
  /** Base of pg-boss's exponential backoff; 0 retries at once without backoff (tests). */
  exportRetryDelaySeconds: number;
  /** An export job waits this long before it runs, so a burst of edits is sent once. */
  exportDebounceSeconds: number;
  /** Counterparties written per transaction by an import; customers per step of the CLI. */
  importBatchSize: number;
  /**
   * IANA zone of 1C's clock: CommerceML dates (ДатаФормирования) carry no zone and are read
   * as wall-clock time here; also where "today" of the sync stats begins.
   */
  timeZone: string;
  /** Country calling code for phone numbers written without one (8 912 … or 912 …). */
  defaultCountryCode: string;
  /** ЗначениеРеквизита of a Контрагент whose Значение is the customer's role (price group). */
  roleRequisite: string;
}

const whole = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const Schema = v.object({
  ONEC_HTTP_URL: v.optional(
    v.pipe(
      v.string(),
      v.url("must be a URL such as https://1c.example.com/base/hs/site"),
      v.regex(/^https?:\/\//i, "must be an http:// or https:// URL"),
    ),
  ),
  ONEC_HTTP_LOGIN: v.optional(v.string()),
  ONEC_HTTP_PASSWORD: v.optional(v.string()),
  ONEC_HTTP_TIMEOUT_SECONDS: v.optional(whole(1, 600), "30"),
  CUSTOMER_EXPORT_RETRY_LIMIT: v.optional(whole(0, 50), "5"),
  CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: v.optional(whole(0, 3600), "30"),
  CUSTOMER_EXPORT_DEBOUNCE_SECONDS: v.optional(whole(0, 300), "2"),
  CUSTOMER_IMPORT_BATCH_SIZE: v.optional(whole(1, 10_000), "500"),
  CUSTOMER_SYNC_TIMEZONE: v.optional(
    ianaTimeZone(),
    // 1C installations that exchange with Russian shops run on Moscow time far more often than
    // on UTC; a wrong zone only matters for edits made within hours of each other.
    "Europe/Moscow",
  ),
  CUSTOMER_DEFAULT_COUNTRY_CODE: v.optional(
    v.pipe(v.string(), v.regex(/^[1-9]\d{0,2}$/, "must be a calling code such as 7 or 375")),
    "7",
  ),
  CUSTOMER_ROLE_REQUISITE: v.optional(
    v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty")),
    "Ценовая группа",
  ),
});

/** Throws ConfigError (src/config-env.ts) naming the variable when a value is bad. */
export function parseCustomersConfig(
  env: Record<string, string>,
  _production: boolean,
): CustomersConfig {
  const e = parseEnv(Schema, env);
  // Half a credential pair is a typo, not a choice: 1C would answer 401 to every export.
  if ((e.ONEC_HTTP_LOGIN === undefined) !== (e.ONEC_HTTP_PASSWORD === undefined)) {
    const missing = e.ONEC_HTTP_LOGIN === undefined ? "ONEC_HTTP_LOGIN" : "ONEC_HTTP_PASSWORD";
    throw new ConfigError(`${missing}: set ONEC_HTTP_LOGIN and ONEC_HTTP_PASSWORD together`);
  }
  return {
    onecHttpUrl: e.ONEC_HTTP_URL?.replace(/\/+$/, "") ?? null,
    onecHttpLogin: e.ONEC_HTTP_LOGIN ?? null,
    onecHttpPassword: e.ONEC_HTTP_PASSWORD ?? null,
    onecHttpTimeoutSeconds: e.ONEC_HTTP_TIMEOUT_SECONDS,
    exportRetryLimit: e.CUSTOMER_EXPORT_RETRY_LIMIT,
    exportRetryDelaySeconds: e.CUSTOMER_EXPORT_RETRY_DELAY_SECONDS,
    exportDebounceSeconds: e.CUSTOMER_EXPORT_DEBOUNCE_SECONDS,
    importBatchSize: e.CUSTOMER_IMPORT_BATCH_SIZE,
    timeZone: e.CUSTOMER_SYNC_TIMEZONE,
    defaultCountryCode: e.CUSTOMER_DEFAULT_COUNTRY_CODE,
    roleRequisite: e.CUSTOMER_ROLE_REQUISITE,
  };
}
