/** Configuration: one clear line naming the variable; no default credentials in production. */
import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError, loadConfig } from "../../src/config.ts";

Deno.test("configuration from the environment", async (t) => {
  await t.step("defaults give a working development setup", () => {
    const c = loadConfig({});
    assertEquals(c.port, 8000);
    assertEquals(c.role, "all");
    assertEquals(c.exchange.zip, true);
    assertEquals(c.exchange.fileLimit, 1_000_000);
    assertEquals(c.apiTokens.map((t) => t.role).sort(), ["admin", "platform", "reader"]);
  });

  await t.step("a bad value names the variable and what is wrong", () => {
    assertThrows(
      () => loadConfig({ PORT: "eighty" }),
      ConfigError,
      "PORT: PORT must be a whole number",
    );
    assertThrows(() => loadConfig({ ROLE: "both" }), ConfigError, "ROLE:");
    assertThrows(
      () => loadConfig({ DATABASE_URL: "mysql://x" }),
      ConfigError,
      "DATABASE_URL: must be a postgres:// URL",
    );
    assertThrows(
      () => loadConfig({ API_TOKENS: "root:abcdefgh123" }),
      ConfigError,
      "API_TOKENS: each entry must be role:token",
    );
    assertThrows(
      () => loadConfig({ EXCHANGE_FILE_LIMIT: "10" }),
      ConfigError,
      "EXCHANGE_FILE_LIMIT must be at least 1024",
    );
  });

  await t.step("production refuses to start without its own credentials", () => {
    assertThrows(
      () => loadConfig({ DENO_ENV: "production" }),
      ConfigError,
      "DATABASE_URL: required when DENO_ENV=production",
    );
    assertThrows(
      () =>
        loadConfig({
          DENO_ENV: "production",
          DATABASE_URL: "postgres://x/y",
          EXCHANGE_LOGIN: "a",
          EXCHANGE_PASSWORD: "b",
        }),
      ConfigError,
      "API_TOKENS: required",
    );
    const ok = loadConfig({
      DENO_ENV: "production",
      DATABASE_URL: "postgres://x/y",
      EXCHANGE_LOGIN: "shop",
      EXCHANGE_PASSWORD: "s3cret-pass",
      API_TOKENS: "admin:0123456789abcdef",
    });
    assertEquals(ok.exchange.login, "shop");
    assertEquals(ok.apiTokens, [{ role: "admin", token: "0123456789abcdef" }]);
  });

  await t.step("empty values count as unset", () => {
    assertEquals(loadConfig({ PORT: "", LOG_LEVEL: "" }).port, 8000);
  });
});
