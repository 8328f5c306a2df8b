/**
 * What the integration log keeps of a URL or a body: credentials masked (JSON fields,
 * `name=value` pairs, written-out Basic/Bearer values, configured secrets, URL user info),
 * everything else as it was (int64 ids stay exact), and bodies cut at BODY_LIMIT with a marker
 * that says how much there was.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { maskExchangeAnswer, maskText, maskUrl } from "../../src/integration-log/mask.ts";
import { BODY_LIMIT, clipBody, readBodyHead } from "../../src/integration-log/truncate.ts";

Deno.test("JSON fields named like credentials are masked, the rest is kept exactly", () => {
  const body = '{"platform_id":"c1","password":"p\\"w","apiKey":12345,"nested":{"token":"t"},' +
    '"key":"k","client_secret":"s","keyword":"kept","sku":1234567890123456789}';
  assertEquals(
    maskText(body),
    '{"platform_id":"c1","password":"***","apiKey":"***","nested":{"token":"***"},' +
      '"key":"***","client_secret":"***","keyword":"kept","sku":1234567890123456789}',
  );
  // A body cut in the middle of a value is still masked.
  assertEquals(maskText('{"a":1,"api_key":"abcd'), '{"a":1,"api_key":"***"');
});

Deno.test("pairs, written-out credentials and configured secrets are masked", () => {
  assertEquals(
    maskText("mode=init&sessid=abc123&password=hunter2 Authorization: Basic dXNlcjpwYXNz"),
    "mode=init&sessid=***&password=*** Authorization: Basic ***",
  );
  assertEquals(maskText("Bearer eyJhbGciOiJIUzI1NiJ9.x.y"), "Bearer ***");
  assertEquals(
    maskText("refused key Ozn-K3y-1234 for 123456", ["Ozn-K3y-1234", "abc"]),
    "refused key *** for 123456",
    "secrets shorter than 6 characters are not scrubbed (they would garble text)",
  );
  // CommerceML attributes are not pairs of interest.
  const xml = '<?xml version="1.0" encoding="windows-1251"?><КоммерческаяИнформация>';
  assertEquals(maskText(xml), xml);
});

Deno.test("URLs: user info dropped, sensitive parameters masked, the rest spelled as sent", () => {
  assertEquals(
    maskUrl("http://u:p@h/1c_exchange.php?type=catalog&mode=file&filename=a%20b.xml&sessid=t1"),
    "http://h/1c_exchange.php?type=catalog&mode=file&filename=a%20b.xml&sessid=***",
  );
  assertEquals(
    maskUrl("http://h/1c_exchange?get_param?type=sale&mode=query&token=x&api_key=y"),
    "http://h/1c_exchange?get_param?type=sale&mode=query&token=***&api_key=***",
  );
  assertEquals(maskUrl("https://h/api/v3/stocks/42"), "https://h/api/v3/stocks/42");
  assertEquals(maskUrl("https://h/k/SECRET-KEY-1/x", ["SECRET-KEY-1"]), "https://h/k/***/x");
});

Deno.test("checkauth's answer keeps neither the cookie value nor the sessid", () => {
  const answer =
    "success\nONEC_EXCHANGE_SESSION\n9f1c-session-id\nsessid=tok-77\ntimestamp=1700000000";
  assertEquals(
    maskExchangeAnswer(answer, "ONEC_EXCHANGE_SESSION"),
    "success\nONEC_EXCHANGE_SESSION\n***\nsessid=***\ntimestamp=1700000000",
  );
  assertEquals(
    maskExchangeAnswer("failure\nbad file", "ONEC_EXCHANGE_SESSION"),
    "failure\nbad file",
  );
});

Deno.test("bodies are cut at BODY_LIMIT with a marker naming the whole size", () => {
  assertEquals(clipBody("short"), "short");
  const exact = "x".repeat(BODY_LIMIT);
  assertEquals(clipBody(exact), exact);
  const long = "я".repeat(BODY_LIMIT + 10);
  const clipped = clipBody(long);
  assertEquals(
    clipped,
    "я".repeat(BODY_LIMIT) + `…[truncated: ${(BODY_LIMIT + 10) * 2} bytes in all]`,
  );
  // A head read from the network that did not reach the end says so even under the limit.
  assertEquals(
    clipBody({ text: "abc", complete: false, totalBytes: null }),
    "abc…[truncated]",
  );
});

Deno.test("an answer's head is read from a clone, in its charset, and stops at the limit", async () => {
  const cp1251 = new Uint8Array([0x75, 0xf1, 0xef, 0xe5, 0xf5]); // "uспех"
  const res = new Response(cp1251, {
    headers: { "Content-Type": "text/plain; charset=windows-1251" },
  });
  assertEquals(await readBodyHead(res), { text: "uспех", complete: true, totalBytes: 5 });
  assertEquals(new Uint8Array(await res.arrayBuffer()), cp1251, "the caller's body is intact");

  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new TextEncoder().encode("z".repeat(1000)));
    },
  });
  const big = new Response(endless, { headers: { "Content-Length": "999999" } });
  const head = await readBodyHead(big);
  assertEquals(head.complete, false);
  assertEquals(head.text.length, BODY_LIMIT);
  assertEquals(head.totalBytes, 999999);
  assert(pulled < 20, `read only a few chunks, not the whole stream (${pulled})`);
  assertStringIncludes(clipBody(head), "…[truncated: 999999 bytes in all]");
  // The caller still reads its response from the start.
  const reader = big.body!.getReader();
  const first = await reader.read();
  assertEquals(new TextDecoder().decode(first.value).slice(0, 3), "zzz");
  await reader.cancel();
});

Deno.test("a cut inside a multi-byte character keeps whole characters only", async () => {
  const res = new Response("я".repeat(BODY_LIMIT), {
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
  const head = await readBodyHead(res);
  assertEquals(head.complete, false);
  assertEquals(head.text, "я".repeat(BODY_LIMIT / 2), "no U+FFFD at the cut");
  await res.body!.cancel();
});

Deno.test("after the head was read, the caller still gets the whole answer", async () => {
  const whole = new TextEncoder().encode('<?xml version="1.0"?>' + "<a>x</a>".repeat(5000));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= whole.length) return controller.close();
      controller.enqueue(whole.subarray(sent, sent + 1500));
      sent += 1500;
    },
  });
  const res = new Response(stream);
  const head = await readBodyHead(res);
  assertEquals(head.complete, false);
  assertEquals(new Uint8Array(await res.arrayBuffer()), whole);
});
