/** The customers configuration: defaults, and one clear line for each bad value. */
import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError, loadConfig } from "../../src/config.ts";

Deno.test("customers configuration: defaults and refusals", () => {
  const c = loadConfig({}).customers;
  assertEquals(c, {
    onecHttpUrl: null,
    onecHttpLogin: null,
    onecHttpPassword: null,
    onecHttpTimeoutSeconds: 30,
    exportRetryLimit: 5,
    exportRetryDelaySeconds: 30,
    exportDebounceSeconds: 2,
    importBatchSize: 500,
    timeZone: "Europe/Moscow",
    defaultCountryCode: "7",
    roleRequisite: "Ценовая группа",
  });
  assertEquals(
    loadConfig({ ONEC_HTTP_URL: "https://1c.example.com/base/hs/site/" }).customers.onecHttpUrl,
    "https://1c.example.com/base/hs/site",
  );
  for (
    const [env, message] of [
      [{ ONEC_HTTP_URL: "ftp://x" }, "ONEC_HTTP_URL: must be an http:// or https:// URL"],
      [
        { ONEC_HTTP_LOGIN: "site" },
        "ONEC_HTTP_PASSWORD: set ONEC_HTTP_LOGIN and ONEC_HTTP_PASSWORD together",
      ],
      [{ ONEC_HTTP_TIMEOUT_SECONDS: "0" }, "ONEC_HTTP_TIMEOUT_SECONDS: must be at least 1"],
      [
        { CUSTOMER_EXPORT_RETRY_LIMIT: "five" },
        "CUSTOMER_EXPORT_RETRY_LIMIT: must be a whole number",
      ],
      [
        { CUSTOMER_SYNC_TIMEZONE: "Mars/Olympus" },
        "CUSTOMER_SYNC_TIMEZONE: must be an IANA time zone such as Europe/Moscow or UTC",
      ],
      [
        { CUSTOMER_DEFAULT_COUNTRY_CODE: "+7" },
        "CUSTOMER_DEFAULT_COUNTRY_CODE: must be a calling code such as 7 or 375",
      ],
    ] as const
  ) {
    assertThrows(() => loadConfig(env), ConfigError, message);
  }
});
