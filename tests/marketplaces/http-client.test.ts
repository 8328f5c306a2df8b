/**
 * The marketplace HTTP client on its own, against the fake Ozon API: timeouts are retried
 * three times with backoff, then reported; a 429 storm is given up on with the reason.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { OzonClient } from "../../src/marketplaces/ozon.ts";
import { MarketplaceApiError } from "../../src/marketplaces/errors.ts";
import { OzonFake } from "./fakes/ozon-fake.ts";
import { marketplaceEnv } from "./helpers.ts";

const lines: string[] = [];
const log = createLogger("debug", { write: (s: string) => lines.push(s) });

Deno.test("HTTP client: timeouts and rate-limit storms", async (t) => {
  const fake = new OzonFake().start();
  fake.fboWarehouses = [{ warehouse_id: 1, name: "X" }];
  try {
    const settings = loadConfig(
      marketplaceEnv({ ozon: fake, extra: { MARKETPLACE_HTTP_TIMEOUT_MS: "150" } }),
    ).marketplaces;
    const client = new OzonClient(settings.ozon!, settings, log);

    await t.step("a stalled answer times out and is tried three times", async () => {
      fake.delayMs = 400;
      await assert.rejects(
        () => client.fboWarehouses(),
        (e: unknown) => {
          assert.ok(e instanceof MarketplaceApiError);
          assert.match(e.message, /no answer within 150 ms \(gave up after 3 attempts\)/);
          return true;
        },
      );
      assert.equal(fake.arrived.filter((p) => p === "/v1/warehouse/ozon/list").length, 3);
    });

    await t.step("a timeout then an answer is a success", async () => {
      fake.delayMs = 0;
      const names = await client.fboWarehouses();
      assert.deepEqual(names.items, [{ warehouse_id: "1", name: "X" }]);
    });

    await t.step("429 after 429: the client stops waiting and says why", async () => {
      fake.throttleNext = 100;
      fake.retryAfterSeconds = 0;
      await assert.rejects(
        () => client.fboWarehouses(),
        /still rate limited \(429\) after 9 waits/,
      );
      fake.throttleNext = 0;
    });
    assert.ok(!lines.join("").includes(fake.apiKey));
  } finally {
    await fake.close();
  }
});
