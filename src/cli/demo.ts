/**
 * `deno task demo [--url http://127.0.0.1:8000] [--products 3000]`: loads a generated demo
 * catalog (products with variants, 3 price types, 4 warehouses) into a running service
 * through the real 1C protocol, then a few customers and orders through the platform API,
 * so a newcomer sees data in the API and the admin page. Start the service first
 * (`deno task start`, development credentials). Running it again changes nothing that is
 * already there: the catalog import is idempotent, existing customers (by email) are kept,
 * and orders are only added to an empty order book.
 */
import { parseArgs } from "node:util";
import { generateCatalog, offerIds } from "../commerceml/generator.ts";
import { OneCClient } from "../onec/exchange-client.ts";
import { type ApiCall, loadDemoCustomersAndOrders } from "./demo-platform-data.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string", default: "http://127.0.0.1:8000" },
    products: { type: "string", default: "3000" },
    login: { type: "string", default: Deno.env.get("EXCHANGE_LOGIN") ?? "1c" },
    password: { type: "string", default: Deno.env.get("EXCHANGE_PASSWORD") ?? "1c-exchange" },
    token: { type: "string", default: Deno.env.get("DEMO_API_TOKEN") ?? "dev-admin-token" },
  },
});
const site = args.url!.replace(/\/$/, "");
const products = Number(args.products);

try {
  await fetch(`${site}/healthz`).then((r) => r.body?.cancel());
} catch {
  console.error(`demo: nothing answers at ${site} — start the service with \`deno task start\``);
  Deno.exit(2);
}

const dir = await Deno.makeTempDir({ prefix: "onec-demo-" });
try {
  const cat = generateCatalog({ products });
  await cat.importXml.pipeTo((await Deno.create(`${dir}/import.xml`)).writable);
  await cat.offersXml.pipeTo((await Deno.create(`${dir}/offers.xml`)).writable);

  const client = new OneCClient((input, init) => fetch(site + input, init), {
    login: args.login,
    password: args.password,
  });
  const auth = await client.checkauth();
  if (auth.lines[0] !== "success") throw new Error(`checkauth: ${auth.lines.join(" | ")}`);
  await client.init();
  for (const name of ["import.xml", "offers.xml"]) {
    await client.uploadFile(name, `${dir}/${name}`);
    const a = await client.importFile(name, 100_000, 200);
    console.log(`${name}: ${a.lines.join(" — ")}`);
    if (a.lines[0] !== "success") Deno.exit(1);
  }
  await client.call({ mode: "complete" });
  console.log(`\n${cat.expected.products} products, ${cat.expected.offers} offers loaded.`);

  const api: ApiCall = (method, path, body) =>
    fetch(`${site}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${args.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const platform = await loadDemoCustomersAndOrders(api, {
    products: products,
    offerIds: (i) => offerIds({ products }, i),
  });
  console.log(
    `${platform.customersCreated} customers created (${platform.customersKept} already there), ` +
      `${platform.ordersCreated} orders created.`,
  );
  console.log(
    `API:   curl -H "Authorization: Bearer dev-reader-token" ${site}/api/v1/products?limit=5`,
  );
  console.log(
    `Roles: curl -H "Authorization: Bearer dev-reader-token" "${site}/api/v1/products?limit=5&role=wholesale"`,
  );
  console.log(`Docs:  ${site}/docs`);
  console.log(`Admin: ${site}/admin (log in with the admin token)`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
