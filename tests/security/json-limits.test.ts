/**
 * JSON bodies of the API are bounded in shape as well as size (issue 8): nesting deeper than
 * 32 levels or more than 100,000 values is a 400 problem naming the limit, checked before the
 * body is parsed; 1 MiB of `[` is refused cleanly, not a crash; a body over 1 MiB is a 413,
 * with or without Content-Length. Bodies just under the limits go on to validation.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { TOKENS } from "../customers/helpers.ts";
import { checkJsonLimits, JSON_LIMITS } from "../../src/http/json-limits.ts";

async function post(
  h: Harness,
  body: string | ReadableStream<Uint8Array>,
  contentType = "application/json",
): Promise<{ status: number; type: string | null; body: { detail?: string } }> {
  const res = await h.app.request("/api/v1/customers", {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKENS.platform}`, "Content-Type": contentType },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body: text ? JSON.parse(text) : {},
  };
}

/** A customer whose `address` is `levels` arrays deep: the body is levels + 1 deep. */
const deepAddress = (levels: number) =>
  `{"email":"deep@example.com","customerType":"individual","firstName":"A","address":` +
  "[".repeat(levels) + "]".repeat(levels) + "}";

/** A customer whose `address` is an array of `n` zeros: n + 4 values in all. */
const wideAddress = (n: number) =>
  `{"email":"wide@example.com","customerType":"individual","firstName":"A","address":[` +
  Array(n).fill("0").join(",") + "]}";

Deno.test({
  name: "JSON depth and width limits on the API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("json-limits", { workers: false });
    try {
      await t.step("deeper than 32 levels: 400 naming the limit", async () => {
        const r = await post(h, deepAddress(32));
        assertEquals(r.status, 400);
        assertEquals(r.type, "application/problem+json");
        assertMatch(r.body.detail ?? "", /nested more than 32 levels/);
      });

      await t.step("32 levels pass on to validation", async () => {
        const r = await post(h, deepAddress(31));
        assertEquals(r.status, 400);
        assertEquals(r.body.detail, "Invalid JSON body.", "the validator's, not the limit's");
      });

      await t.step("objects count as levels too", async () => {
        const deep = '{"a":'.repeat(40) + "1" + "}".repeat(40);
        assertMatch((await post(h, deep)).body.detail ?? "", /nested more than 32 levels/);
      });

      await t.step("1 MiB of [ is refused cleanly", async () => {
        const r = await post(h, "[".repeat(1024 * 1024 - 16));
        assertEquals(r.status, 400);
        assertMatch(r.body.detail ?? "", /nested more than 32 levels/);
      });

      await t.step("more than 100,000 values: 400 naming the limit", async () => {
        const r = await post(h, wideAddress(JSON_LIMITS.maxValues - 3));
        assertEquals(r.status, 400);
        assertMatch(r.body.detail ?? "", /more than 100000 values/);
      });

      await t.step("100,000 values pass on to validation", async () => {
        const r = await post(h, wideAddress(JSON_LIMITS.maxValues - 4));
        assertEquals([r.status, r.body.detail], [400, "Invalid JSON body."]);
      });

      await t.step("brackets and commas inside strings are text", async () => {
        const r = await post(
          h,
          JSON.stringify({
            email: "text@example.com",
            customerType: "individual",
            firstName: "[".repeat(40) + ",".repeat(40) + '\\"[{',
          }),
        );
        assertEquals(r.status, 201, r.body.detail);
      });

      await t.step("a body within every limit is served", async () => {
        const r = await post(
          h,
          JSON.stringify({ email: "ok@example.com", customerType: "individual", firstName: "A" }),
        );
        assertEquals(r.status, 201);
      });

      await t.step("over 1 MiB: 413, also without Content-Length", async () => {
        const big = `{"email":"${"x".repeat(1024 * 1024)}"}`;
        const sized = await post(h, big);
        assertEquals([sized.status, sized.type], [413, "application/problem+json"]);
        const bytes = new TextEncoder().encode(big);
        const chunked = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 64 * 1024) {
              controller.enqueue(bytes.subarray(i, i + 64 * 1024));
            }
            controller.close();
          },
        });
        const streamed = await post(h, chunked);
        assertEquals([streamed.status, streamed.type], [413, "application/problem+json"]);
      });

      await t.step("+json types are checked; other types are not JSON here", async () => {
        const deep = "[".repeat(40) + "]".repeat(40);
        const merge = await post(h, deep, "application/merge-patch+json; charset=utf-8");
        assertMatch(merge.body.detail ?? "", /nested more than 32 levels/);
        const text = await post(h, deep, "text/plain");
        assert(!/levels/.test(text.body.detail ?? ""), "left to the route (not JSON)");
      });
    } finally {
      await h.close();
    }
  },
});

Deno.test("checkJsonLimits counts exactly at the boundaries", () => {
  const limits = { maxDepth: 3, maxValues: 5 };
  assertEquals(checkJsonLimits("[[[]]]", limits), null);
  assertEquals(checkJsonLimits("[[[[]]]]", limits)?.limit, "depth");
  assertEquals(checkJsonLimits('{"a":[1,2],"b":{"c":"]"}}', limits), null, "5 values");
  assertEquals(checkJsonLimits('{"a":[1,2],"b":{"c":"]","d":0}}', limits)?.limit, "values");
  assertEquals(checkJsonLimits('["\\"[[[[", "x"]', limits), null, "escaped quotes");
  assertEquals(checkJsonLimits("[ ]", limits), null);
  assertEquals(checkJsonLimits("[[], {}, 1]", limits), null, "3 values");
});
