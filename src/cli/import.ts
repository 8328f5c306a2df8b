/**
 * `deno task import --file PATH [--kind catalog|offers|prices|rests] [--dry-run] [--chunk-size N]`
 *
 * Imports a local CommerceML file (or a zip of them) the way an exchange does: the bytes go
 * into upload storage under a `cli` session and each XML becomes an import run handled by
 * the same pg-boss job as 1C's (same lock: it waits while another import runs). Progress is
 * shown on the terminal; --dry-run reports what would change and rolls back.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { openContext } from "../bootstrap.ts";
import { startWorkers } from "../../workers/index.ts";
import { serviceDatabase } from "../../db/embedded.ts";
import { createSession } from "../exchange/sessions.ts";
import { writeUpload } from "../exchange/uploads.ts";
import { openZip } from "../exchange/zip.ts";
import { openFileSource, readFileChunks } from "../exchange/local-file.ts";
import { baseName } from "../exchange/filename.ts";
import {
  getRun,
  IMPORT_KINDS,
  type ImportKind,
  requestImport,
  summarizeCounts,
} from "../imports/import-runs.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    file: { type: "string" },
    kind: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "chunk-size": { type: "string" },
  },
});
const fail = (msg: string): never => {
  console.error(`import: ${msg}`);
  Deno.exit(2);
};
if (!args.file) fail("--file PATH is required");
if (args.kind && !(args.kind in IMPORT_KINDS)) {
  fail(`--kind must be one of ${Object.keys(IMPORT_KINDS).join(", ")}`);
}
const path = args.file!;
const kind = args.kind as ImportKind | undefined;
const env = Deno.env.toObject();
if (args["chunk-size"]) env.IMPORT_BATCH_SIZE = args["chunk-size"];
const config = loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL ?? "warn" });
const log = createLogger(config.logLevel);

const { url, stop: stopPg } = await serviceDatabase(config);
const ctx = await openContext(config, log, url, 6);
const stopWorkers = await startWorkers(ctx);

/** 1C's order: classifier and goods before offers, prices before rests. */
function exchangeOrder(names: string[]): string[] {
  const rank = (n: string) => {
    const b = baseName(n).toLowerCase();
    for (const [i, prefix] of ["import", "offers", "prices", "rests"].entries()) {
      if (b.startsWith(prefix)) return i;
    }
    return 9;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

let exitCode = 0;
try {
  const session = await createSession(ctx.db, {
    type: "cli",
    clientIp: null,
    ttlSeconds: config.exchange.sessionTtlSeconds,
  });
  const name = baseName(path);
  await writeUpload(ctx.db, session.id, name, readFileChunks(path, 1 << 20), "upload");
  let xmlNames = [name];
  if (name.toLowerCase().endsWith(".zip")) {
    const src = await openFileSource(path);
    try {
      const zip = await openZip(src, {
        maxTotalBytes: config.import.zipMaxTotalBytes,
        maxRatio: config.import.zipMaxRatio,
        maxEntries: 100_000,
      });
      xmlNames = exchangeOrder(
        zip.entries.filter((e) => !e.directory && e.name.toLowerCase().endsWith(".xml"))
          .map((e) => e.name),
      );
    } finally {
      src.close();
    }
    if (xmlNames.length === 0) fail(`${path} holds no .xml file`);
  }

  for (const file of xmlNames) {
    let run = await requestImport(ctx, {
      sessionId: session.id,
      generation: session.generation,
      fileName: file,
      requestId: `cli-${session.id.slice(0, 8)}`,
      dryRun: args["dry-run"],
      expectedKind: kind,
    });
    const t0 = performance.now();
    while (run.status === "queued" || run.status === "running") {
      await new Promise((r) => setTimeout(r, 500));
      run = (await getRun(ctx, run.id))!;
      const line = `${file}: ${
        run.status === "queued" ? "waiting for the import queue" : run.progress
      }`;
      if (Deno.stderr.isTerminal()) {
        Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${line}`));
      }
    }
    if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    if (run.status === "success") {
      const prefix = args["dry-run"] ? "dry run (nothing written) — would be" : "imported";
      console.log(
        `${file}: ${prefix}: ${
          summarizeCounts(run.counts)
        } [${run.kind}, ${seconds} s, run ${run.id}]`,
      );
      for (const w of run.errors) console.log(`  note: ${w}`);
    } else {
      console.log(`${file}: FAILED: ${run.error} [run ${run.id}]`);
      exitCode = 1;
      break;
    }
  }
} finally {
  await stopWorkers();
  await ctx.close(5000);
  await stopPg();
}
Deno.exit(exitCode);
