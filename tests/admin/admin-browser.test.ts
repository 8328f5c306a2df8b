/**
 * The admin page end to end in a real headless Chromium (Debian's `chromium` package, driven
 * by playwright-core): a real server on a real socket, a 1C exchange through the protocol,
 * then in the browser: log in, start a catalog import from the form, watch the list refresh
 * itself until the run succeeds, open the run's report. Saves docs/admin.png for the README.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { chromium } from "playwright-core";
import { createHarness } from "../helpers/harness.ts";
import { OneCClient } from "../../src/onec/exchange-client.ts";
import { startWorkers } from "../../workers/index.ts";
import * as F from "../fixtures/catalog-v208.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = new URL("../../docs/admin.png", import.meta.url);

Deno.test("admin page in Chromium: log in, start an import, watch it finish", async () => {
  // Workers are started and stopped by the test: the run must be seen queued first, so the
  // page demonstrably refreshes itself rather than being rendered after the run finished.
  const h = await createHarness("admin_browser", { workers: false });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) => h.app.fetch(req, { remoteAddr: info.remoteAddr }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const profile = await Deno.makeTempDir({ prefix: "admin-chromium-" });
  let stopWorkers = await startWorkers(h.ctx);
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    // 1C's side over the socket, so there is a kept exchange whose files' kinds are known.
    const onec = new OneCClient((input, init) => fetch(base + input, init));
    await onec.checkauth();
    await onec.init();
    const enc = new TextEncoder();
    for (const [name, xml] of [["import.xml", F.importXml()], ["offers.xml", F.offersXml()]]) {
      await onec.upload(name, enc.encode(xml));
      assertEquals((await onec.importFile(name)).lines[0], "success");
    }
    await stopWorkers();
    const exchangeId = onec.cookie.split("=")[1];

    const page = browser.pages()[0] ?? await browser.newPage();
    // A CSP violation or a script error shows up here: the page must have neither.
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));

    await page.goto(`${base}/admin`);
    assertEquals(new URL(page.url()).pathname, "/admin/login");
    await page.fill("#token", "dev-admin-token");
    await Promise.all([page.waitForURL(`${base}/admin`), page.click("button[type=submit]")]);

    // The newest kept exchange and "catalog" are preselected.
    assert(await page.isChecked(`input[name=exchangeId][value="${exchangeId}"]`));
    assert(await page.isChecked("input[name=kind][value=catalog]"));
    assert(await page.isDisabled("input[name=kind][value=customers]"));
    await Promise.all([
      page.waitForURL(/\/admin\?started=\d+$/),
      page.click("#start-import"),
    ]);
    const runId = new URL(page.url()).searchParams.get("started")!;
    const row = `#runs tr[data-run-id="${runId}"]`;
    assertEquals(await page.getAttribute(row, "data-status"), "queued");
    assertEquals(await page.getAttribute("#runs", "data-active"), "true");
    await page.waitForSelector("#refresh-note:has-text('Refreshing every 5 s')");

    // The same document (no reload) must pick up the result through its own refresh.
    await page.evaluate(() => Object.assign(globalThis, { __sameDocument: true }));
    stopWorkers = await startWorkers(h.ctx);
    await page.waitForSelector(`${row}[data-status="success"]`, { timeout: 60_000 });
    assert(await page.evaluate(() => "__sameDocument" in globalThis));
    await page.waitForSelector("#refresh-note:has-text('refreshing stopped')");
    assertEquals(await page.getAttribute("#runs", "data-active"), "false");
    assertMatch(await page.textContent(`${row} .counts`) ?? "", /products: 3 unchanged/);

    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname });

    await Promise.all([
      page.waitForURL(`${base}/admin/runs/${runId}`),
      page.click(`${row} a`),
    ]);
    assertEquals(await page.textContent("#report .status"), "success");
    assertMatch(await page.textContent("#counts") ?? "", /products/);
    assertEquals(problems, []);
  } finally {
    await browser.close();
    await stopWorkers();
    await server.shutdown();
    await h.close();
    await Deno.remove(profile, { recursive: true });
  }
});
