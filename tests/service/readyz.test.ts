/** /readyz says why it is not ready. */
import { assertEquals } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";

Deno.test("readyz reports the queue and shutdown states with 503 and a reason", async () => {
  const h = await createHarness("readyz", { workers: false });
  try {
    assertEquals((await h.app.request("/readyz")).status, 200);
    h.ctx.state.queueStarted = false;
    const r = await h.app.request("/readyz");
    assertEquals(r.status, 503);
    assertEquals(await r.json(), { status: "unavailable", reason: "job queue not started" });
    h.ctx.state.queueStarted = true;
    h.ctx.state.shuttingDown = true;
    assertEquals((await (await h.app.request("/readyz")).json()).reason, "shutting down");
    assertEquals((await h.app.request("/healthz")).status, 200);
  } finally {
    h.ctx.state.shuttingDown = false;
    await h.close();
  }
});
