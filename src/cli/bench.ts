/**
 * `deno task bench [--products N] [--sessions N] [--readers N] [--read-seconds N] [--keep]`:
 * generates a catalog (default 100k products with variants, 3 price types, 4 warehouses), pushes
 * it through the real protocol over a real socket into a fresh database, and prints upload MB/s,
 * products/s, seconds, peak RSS — against a bare streaming parse of the same bytes. Then it sends the same files again
 * (an unchanged re-import) and prints that too.
 *
 * Load (src/cli/load-bench.ts): during the first import, `--sessions` 1C clients log in,
 * init and poll; after it, `--readers` platform clients read products for `--read-seconds`.
 * Each prints p50/p99 latency and throughput. `--sessions 0` times the exchange alone.
 *
 * Peak RSS is the service process's (VmHWM), read from /proc.
 */
import { parseArgs } from "node:util";
import { generateCatalog } from "../commerceml/generator.ts";
import { bareParse } from "../commerceml/bare-parse.ts";
import { readFileChunks } from "../exchange/local-file.ts";
import { startEmbeddedPostgres } from "../../db/embedded.ts";
import { OneCClient } from "../onec/exchange-client.ts";
import pg from "pg";
import { benchOrderQuery, formatOrderQueryBench } from "../orders/bench.ts";
import { productId } from "../commerceml/generator.ts";
import { closedLoop, type ProtocolLoad, protocolLoadDuring } from "./load-bench.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    products: { type: "string", default: "100000" },
    keep: { type: "boolean", default: false },
    sessions: { type: "string", default: "20" },
    readers: { type: "string", default: "200" },
    "read-seconds": { type: "string", default: "10" },
  },
});
const products = Number(args.products);

// --- memory sampling --------------------------------------------------------------------
let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss));
const sampler = setInterval(sampleRss, 50);
const resetPeak = () => {
  peakRss = Deno.memoryUsage().rss;
};
const mb = (b: number) => b / 1024 / 1024;

// --- 1. generate -------------------------------------------------------------------------
const dir = await Deno.makeTempDir({ prefix: "onec-bench-" });
const files: [string, string][] = [["import.xml", `${dir}/import.xml`], [
  "offers.xml",
  `${dir}/offers.xml`,
]];
console.log(`generating ${products} products in ${dir} …`);
const cat = generateCatalog({ products });
await cat.importXml.pipeTo((await Deno.create(files[0][1])).writable);
await cat.offersXml.pipeTo((await Deno.create(files[1][1])).writable);
const sizes = await Promise.all(files.map(async ([, p]) => (await Deno.stat(p)).size));
const totalBytes = sizes[0] + sizes[1];
console.log(
  `import.xml ${mb(sizes[0]).toFixed(1)} MB, offers.xml ${mb(sizes[1]).toFixed(1)} MB; expected`,
  cat.expected,
);

// --- 2. bare parse baseline ------------------------------------------------------------------
resetPeak();
const t = performance.now();
let elements = 0;
for (const [, p] of files) elements += (await bareParse(readFileChunks(p))).elements;
const bareSeconds = (performance.now() - t) / 1000;
const bareRss = peakRss;
console.log(
  `bare parse: ${bareSeconds.toFixed(2)} s (${elements} elements), peak RSS ${
    mb(bareRss).toFixed(0)
  } MB`,
);

// --- 3. the service ----------------------------------------------------------------------
let baseUrl = Deno.env.get("DATABASE_URL");
let stopPg = () => Promise.resolve();
if (!baseUrl) {
  const e = await startEmbeddedPostgres({
    dir: ".data/bench-pg",
    port: 54328,
    database: "postgres",
  });
  baseUrl = e.url;
  stopPg = e.stop;
}
const dbName = `bench_${Date.now()}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(baseUrl);
dbUrl.pathname = `/${dbName}`;

/** The start task's command line: its leading `NAME=value` words, and the command's words. */
function startTask(): { env: Record<string, string>; args: string[] } {
  const tasks = JSON.parse(Deno.readTextFileSync("deno.json")).tasks as Record<string, string>;
  const words = tasks.start.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split("=");
    env[name] = value.join("=");
  }
  return { env, args: words };
}

// The service runs as its own process, as in production: its peak RSS (VmHWM) is read from
// /proc and is not mixed up with this client's buffers.
const port = 18000 + Math.floor(Math.random() * 1000);
const start = startTask();
const service = new Deno.Command(Deno.execPath(), {
  // The same command line as `deno task start`, run directly so that its pid is the service's.
  args: start.args.slice(1),
  env: {
    ...start.env,
    DATABASE_URL: dbUrl.toString(),
    PORT: String(port),
    LOG_LEVEL: Deno.env.get("BENCH_LOG_LEVEL") ?? "warn",
    EXCHANGE_ZIP: "no",
  },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const site = `http://127.0.0.1:${port}`;
for (let i = 0;; i++) {
  try {
    if ((await fetch(`${site}/readyz`)).ok) break;
  } catch { /* not listening yet */ }
  if (i > 300) throw new Error("the service did not become ready");
  await new Promise((r) => setTimeout(r, 100));
}
const serviceRss = () => {
  const status = Deno.readTextFileSync(`/proc/${service.pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
};
// Writing 5 to clear_refs resets the peak (Linux), so each phase gets its own figure.
const resetServicePeak = () => Deno.writeTextFileSync(`/proc/${service.pid}/clear_refs`, "5");

interface Pass {
  upload: number;
  uploadRss: number;
  /** How long 1C waited for each file's `import` after the whole upload. */
  imports: number[];
  /** Each file's import run, from its start to its end (import_runs). */
  runs: number[];
  total: number;
  rss: number;
  answers: string[];
  load?: ProtocolLoad;
}

async function exchange(withLoad = false): Promise<Pass> {
  resetServicePeak();
  const client = new OneCClient((input, init) => fetch(site + input, init));
  const t0 = performance.now();
  await client.checkauth();
  await client.init();
  for (const [name, path] of files) await client.uploadFile(name, path);
  const upload = (performance.now() - t0) / 1000;
  const uploadRss = serviceRss();
  const imports: number[] = [];
  const answers: string[] = [];
  let importing = files[0][0];
  let done = false;
  const load = withLoad
    ? protocolLoadDuring(site, {
      sessions: Number(args.sessions),
      exchangeCookie: client.cookie,
      filename: () => importing,
      stop: () => done,
    })
    : undefined;
  for (const [name] of files) {
    importing = name;
    const t1 = performance.now();
    const a = await client.importFile(name, 1_000_000, 100);
    imports.push((performance.now() - t1) / 1000);
    answers.push(a.lines.join(" | "));
    if (a.lines[0] !== "success") throw new Error(`${name}: ${a.lines.join(" | ")}`);
  }
  done = true;
  const runsDb = new pg.Client({ connectionString: dbUrl.toString() });
  await runsDb.connect();
  const rows = (await runsDb.query(
    `SELECT file_name, extract(epoch FROM finished_at - started_at)::float8 AS seconds
     FROM import_runs WHERE session_id = $1`,
    [client.cookie.split("=")[1]],
  )).rows as { file_name: string; seconds: number }[];
  await runsDb.end();
  return {
    load: await load,
    upload,
    uploadRss,
    imports,
    runs: files.map(([name]) => rows.find((r) => r.file_name === name)?.seconds ?? NaN),
    total: (performance.now() - t0) / 1000,
    rss: serviceRss(),
    answers,
  };
}

function report(label: string, p: Pass) {
  const runs = p.runs[0] + p.runs[1];
  const waited = p.imports[0] + p.imports[1];
  console.log(`\n${label}`);
  for (const a of p.answers) console.log(`  1C saw: ${a.slice(0, 200)}`);
  console.log(
    `  upload            ${p.upload.toFixed(2)} s  (${
      (mb(totalBytes) / p.upload).toFixed(0)
    } MB/s)`,
  );
  console.log(
    `  import.xml run    ${p.runs[0].toFixed(2)} s  (${
      (products / p.runs[0]).toFixed(0)
    } products/s); 1C waited ${p.imports[0].toFixed(2)} s after the upload`,
  );
  console.log(
    `  offers.xml run    ${p.runs[1].toFixed(2)} s  (${
      (cat.expected.offers / p.runs[1]).toFixed(0)
    } offers/s); 1C waited ${p.imports[1].toFixed(2)} s`,
  );
  console.log(
    `  import runs       ${runs.toFixed(2)} s  = ${(runs / bareSeconds).toFixed(2)}× bare parse` +
      ` (import.xml's ran while offers.xml uploaded; 1C waited ${waited.toFixed(2)} s in all)`,
  );
  console.log(
    `  end to end        ${p.total.toFixed(2)} s  = ${
      (p.total / bareSeconds).toFixed(2)
    }× bare parse, ${(products / p.total).toFixed(0)} products/s`,
  );
  console.log(
    `  service peak RSS  ${mb(p.rss).toFixed(0)} MB (${
      mb(p.uploadRss).toFixed(0)
    } MB during the upload)`,
  );
}

try {
  const first = await exchange(true);
  report("first import (through the protocol, over a socket)", first);
  if (first.load) {
    console.log(`  while it ran, ${args.sessions} more 1C sessions logged in, init'ed and polled:`);
    console.log(first.load.checkauth.format("checkauth"));
    console.log(first.load.init.format("init"));
    console.log(
      first.load.importPoll.format("import polling") +
        " — each progress answer is held up to 600 ms by design",
    );
  }
  const benchDb = new pg.Client({ connectionString: dbUrl.toString() });
  await benchDb.connect();
  const counts = await benchDb.query(
    `SELECT (SELECT count(*) FROM products)::int AS products, (SELECT count(*) FROM offers)::int AS offers,
            (SELECT count(*) FROM prices)::int AS prices, (SELECT count(*) FROM stocks)::int AS stocks`,
  );
  await benchDb.end();
  console.log("  rows:", counts.rows[0]);
  const load = {
    clients: Number(args.readers),
    seconds: Number(args["read-seconds"]),
    token: "dev-reader-token",
  };
  const reads = await closedLoop(site, {
    ...load,
    path: (n) => `/api/v1/products/${productId((n * 7919) % products)}`,
  });
  // The ceiling of the HTTP stack alone with the same clients on the same cores: no I/O.
  const ceiling = await closedLoop(site, { ...load, path: () => "/healthz" });
  console.log(`\n${args.readers} concurrent clients, ${reads.seconds.toFixed(0)} s each:`);
  console.log(reads.latencies.format("GET /products/{id}", reads.seconds));
  console.log(ceiling.latencies.format("GET /healthz", ceiling.seconds));
  const again = await exchange();
  report("re-import of the same files (nothing changed)", again);
  const fi = first.runs[0] + first.runs[1];
  const ai = again.runs[0] + again.runs[1];
  console.log(
    `\nre-import speed-up: imports ${(fi / ai).toFixed(2)}×, end to end ${
      (first.total / again.total).toFixed(2)
    }×`,
  );
  // Orders over type=sale: mode=query with 1,000 pending orders, through the real app.
  console.log("\n" + formatOrderQueryBench(await benchOrderQuery({ databaseUrl: baseUrl! })));
  console.log(
    `machine: ${navigator.hardwareConcurrency} cores, ${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno}`,
  );
} finally {
  clearInterval(sampler);
  service.kill("SIGTERM");
  await service.status;
  if (!args.keep) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  await stopPg();
  await Deno.remove(dir, { recursive: true });
}
