/** Environment variables of the orders capability, validated with valibot at start. */
import * as v from "valibot";
import { ianaTimeZone, parseEnv } from "../config-env.ts";

export interface OrdersConfig {
  /**
   * Encoding of the `mode=query` document. Bitrix, the reference every 1C client is tested
   * against, sends windows-1251 (spec §1.3); UTF-8 works with current 1C versions.
   */
  saleEncoding: "windows-1251" | "utf-8";
  /** Prepended to the order id to make the order number (Номер) shown in 1C. */
  numberPrefix: string;
  /**
   * Most orders one `mode=query` answer carries; the rest come in the next exchange. Bounds
   * the answer's size (and 1C's import time) after a long 1C outage.
   */
  queryLimit: number;
  /**
   * IANA zone of the 1C side. CommerceML dates carry no zone: order dates are written and
   * 1C's dates are read as wall-clock time in this zone.
   */
  timeZone: string;
}

const Schema = v.object({
  SALE_EXCHANGE_ENCODING: v.optional(
    v.picklist(["windows-1251", "utf-8"], "must be windows-1251 or utf-8"),
    "windows-1251",
  ),
  ORDER_NUMBER_PREFIX: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[\p{L}\p{N}_-]{0,16}$/u, "must be up to 16 letters, digits, _ or -"),
    ),
    "",
  ),
  SALE_QUERY_LIMIT: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number"),
      v.transform(Number),
      v.minValue(1, "must be at least 1"),
      v.maxValue(100_000, "must be at most 100000"),
    ),
    "10000",
  ),
  SALE_EXCHANGE_TIMEZONE: v.optional(
    ianaTimeZone(),
    // 1C installations that exchange with Russian shops run on Moscow time far more often
    // than on UTC; a wrong zone shifts order dates around midnight.
    "Europe/Moscow",
  ),
});

/** Throws ConfigError (src/config-env.ts) naming the variable when a value is bad. */
export function parseOrdersConfig(
  env: Record<string, string>,
  _production: boolean,
): OrdersConfig {
  const e = parseEnv(Schema, env);
  return {
    saleEncoding: e.SALE_EXCHANGE_ENCODING,
    numberPrefix: e.ORDER_NUMBER_PREFIX,
    queryLimit: e.SALE_QUERY_LIMIT,
    timeZone: e.SALE_EXCHANGE_TIMEZONE,
  };
}
