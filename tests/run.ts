/**
 * `deno task test`: provides a PostgreSQL (DATABASE_URL if set, otherwise an embedded one
 * under .data/), runs every test with it, and ends with the plain `N passed, N failed` line
 * CI reads.
 */
import { startEmbeddedPostgres } from "../db/embedded.ts";

const root = new URL("..", import.meta.url).pathname;
let url = Deno.env.get("DATABASE_URL");
let stop = () => Promise.resolve();
if (!url) {
  const pg = await startEmbeddedPostgres({
    dir: `${root}.data/test-pg`,
    port: Number(Deno.env.get("TEST_PG_PORT") ?? 54329),
    database: "postgres",
  });
  url = pg.url;
  stop = pg.stop;
}

const args = Deno.args.length ? Deno.args : ["tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--parallel", ...args],
  cwd: root,
  env: { DATABASE_URL: url, NO_COLOR: "1" },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

let passed = 0;
let failed = 0;
const decoder = new TextDecoder();
let tail = "";
for await (const chunk of child.stdout) {
  Deno.stdout.writeSync(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
}
const status = await child.status;
// Deno's summary: "ok | 57 passed (12 steps) | 0 failed (3s)" or "FAILED | 3 passed | 1 failed".
const m = /(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(tail);
if (m) {
  passed = Number(m[1]);
  failed = Number(m[2]);
} else if (!status.success) {
  failed = 1;
}
await stop();
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(status.success && failed === 0 ? 0 : 1);
