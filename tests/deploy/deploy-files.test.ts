/**
 * The Dockerfile and fly.toml refer to tasks, files and routes defined elsewhere; these checks
 * catch a rename on either side before a deploy does. Files are read at test time, so a source
 * file the image needs but nobody wrote yet fails here, not on Fly.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));

function exists(path: string): boolean {
  try {
    Deno.statSync(new URL(path, root));
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// A TOML subset: tables, arrays of tables, and single-line string/number/boolean/array values.
// It throws on anything else, so fancier syntax in fly.toml fails loudly instead of being misread.

type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
interface TomlTable {
  [key: string]: TomlValue;
}

function parseToml(text: string): TomlTable {
  const rootTable: TomlTable = {};
  let current = rootTable;
  for (const [n, raw] of text.split("\n").entries()) {
    const line = stripComment(raw).trim();
    if (line === "") continue;
    const arrayTable = /^\[\[\s*([\w.-]+)\s*\]\]$/.exec(line);
    const table = /^\[\s*([\w.-]+)\s*\]$/.exec(line);
    const pair = /^([\w-]+)\s*=\s*(.+)$/.exec(line);
    if (arrayTable) {
      const path = arrayTable[1].split(".");
      const parent = walk(rootTable, path.slice(0, -1));
      const key = path[path.length - 1];
      const list = (parent[key] ??= []) as TomlValue[];
      assert(Array.isArray(list), `line ${n + 1}: ${key} is not an array of tables`);
      current = {};
      list.push(current);
    } else if (table) {
      current = walk(rootTable, table[1].split("."));
    } else if (pair) {
      assert(!(pair[1] in current), `line ${n + 1}: duplicate key ${pair[1]}`);
      current[pair[1]] = parseValue(pair[2].trim(), n + 1);
    } else {
      throw new Error(`fly.toml line ${n + 1}: unsupported TOML (extend the test reader): ${raw}`);
    }
  }
  return rootTable;
}

function walk(table: TomlTable, path: string[]): TomlTable {
  let t = table;
  for (const key of path) {
    let next = t[key] ??= {};
    // `[a.b]` after `[[a]]` belongs to the last element of `a`.
    if (Array.isArray(next)) next = next[next.length - 1];
    assert(typeof next === "object" && next !== null, `${key} is not a table`);
    t = next as TomlTable;
  }
  return t;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === "#") {
      return line.slice(0, i);
    }
  }
  return line;
}

function parseValue(text: string, line: number): TomlValue {
  if (text.startsWith('"')) {
    assert(text.endsWith('"') && text.length >= 2, `line ${line}: unterminated string`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    assert(text.endsWith("'") && text.length >= 2, `line ${line}: unterminated string`);
    return text.slice(1, -1);
  }
  if (text === "true" || text === "false") return text === "true";
  if (/^[+-]?\d[\d_]*(\.\d+)?$/.test(text)) return Number(text.replaceAll("_", ""));
  if (text.startsWith("[")) {
    assert(text.endsWith("]"), `line ${line}: only single-line arrays are supported`);
    const inner = text.slice(1, -1).trim();
    if (inner === "") return [];
    return splitTopLevel(inner).map((item) => parseValue(item.trim(), line));
  }
  throw new Error(`fly.toml line ${line}: unsupported value ${text}`);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ",") {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (text.slice(start).trim() !== "") parts.push(text.slice(start));
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile: instructions with continuation lines joined.

interface Instruction {
  op: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    const space = full.search(/\s/);
    out.push({ op: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim() });
  }
  return out;
}

/** CMD/ENTRYPOINT/RUN in exec form (JSON array) or shell form, as one command line. */
function commandLine(args: string): string {
  return args.startsWith("[") ? (JSON.parse(args) as string[]).join(" ") : args;
}

function copySources(args: string): string[] {
  const words = args.startsWith("[")
    ? JSON.parse(args) as string[]
    : args.split(/\s+/).filter((w) => !w.startsWith("--"));
  return words.slice(0, -1);
}

/** `.dockerignore` with the patterns this repo uses: plain paths, trailing `/`, and `*`. */
function dockerIgnored(path: string, patterns: string[]): boolean {
  return patterns.some((pattern) => {
    const p = pattern.replace(/^\//, "").replace(/\/$/, "");
    const re = new RegExp(
      "^" + p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*") +
        "(/|$)",
    );
    return re.test(path);
  });
}

const denoJson = JSON.parse(read("deno.json")) as { tasks: Record<string, string> };
const dockerfile = parseDockerfile(read("Dockerfile"));
const fly = parseToml(read("fly.toml"));
const dockerignore = read(".dockerignore").split("\n").map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

const flyProcesses = fly.processes as Record<string, string>;
const httpService = fly.http_service as TomlTable;
const deploy = fly.deploy as TomlTable;

function tasksNamedIn(command: string): string[] {
  return [...command.matchAll(/\bdeno\s+task\s+([\w:-]+)/g)].map((m) => m[1]);
}

/** The script file a task runs, e.g. `deno run -A src/main.ts` → src/main.ts. */
function taskEntry(task: string): string {
  const m = /\bdeno\s+run\b.*?\s([\w./-]+\.ts)\b/.exec(denoJson.tasks[task]);
  assert(m, `task ${task} (${denoJson.tasks[task]}) runs no .ts file`);
  return m[1];
}

// ---------------------------------------------------------------------------------------------

Deno.test("every `deno task` named by the Dockerfile and fly.toml exists, with its entry file", () => {
  const commands = [
    ...dockerfile.filter((i) => ["RUN", "CMD", "ENTRYPOINT"].includes(i.op)).map((i) =>
      commandLine(i.args)
    ),
    ...Object.values(flyProcesses),
    deploy.release_command as string,
  ];
  const named = new Set(commands.flatMap(tasksNamedIn));
  assert(named.has("start") && named.has("migrate"), `tasks named: ${[...named]}`);
  for (const task of named) {
    assert(task in denoJson.tasks, `deno.json has no task "${task}"`);
    const entry = taskEntry(task);
    assert(exists(entry), `task ${task} runs ${entry}, which does not exist`);
    assert(!dockerIgnored(entry, dockerignore), `${entry} is excluded by .dockerignore`);
  }
});

Deno.test("every path the Dockerfile copies or caches exists and reaches the image", () => {
  const copies = dockerfile.filter((i) => i.op === "COPY" || i.op === "ADD");
  assert(copies.length > 0);
  for (const copy of copies) {
    for (const source of copySources(copy.args)) {
      assert(exists(source), `COPY source ${source} does not exist`);
    }
  }
  // Lockfile and config go in first, alone, so the dependency layer survives source edits.
  assertEquals(copySources(copies[0].args).sort(), ["deno.json", "deno.lock"]);
  for (const run of dockerfile.filter((i) => i.op === "RUN")) {
    const cache = /\bdeno\s+cache\b(.*)/.exec(run.args);
    if (!cache) continue;
    for (const file of cache[1].split(/\s+/).filter((w) => w.endsWith(".ts"))) {
      assert(exists(file), `RUN deno cache names ${file}, which does not exist`);
      assert(!dockerIgnored(file, dockerignore), `${file} is excluded by .dockerignore`);
    }
  }
});

Deno.test("Dockerfile: pinned to this Deno, non-root, production, port 8000, starts the app", () => {
  const from = dockerfile.find((i) => i.op === "FROM");
  assertEquals(from?.args, `denoland/deno:${Deno.version.deno}`);
  assertEquals(dockerfile.filter((i) => i.op === "USER").at(-1)?.args, "deno");
  assert(dockerfile.some((i) => i.op === "ENV" && /^DENO_ENV[= ]production$/.test(i.args)));
  assertEquals(dockerfile.find((i) => i.op === "EXPOSE")?.args, "8000");
  assertEquals(
    commandLine(dockerfile.filter((i) => i.op === "CMD").at(-1)!.args),
    "deno task start",
  );
  assert(
    dockerfile.some((i) => i.op === "RUN" && /\bdeno install\b.*--frozen/.test(i.args)),
    "dependencies are installed from the lockfile",
  );
});

Deno.test(".dockerignore keeps local state out of the image", () => {
  for (const path of ["node_modules/x", ".data/pg/PG_VERSION", ".git/HEAD", "debug.log"]) {
    assert(dockerIgnored(path, dockerignore), `${path} is not ignored`);
  }
  for (const path of ["deno.json", "deno.lock", "src/main.ts", "db/migrate.ts"]) {
    assert(!dockerIgnored(path, dockerignore), `${path} must reach the image`);
  }
});

Deno.test("fly.toml: release command migrates, SIGTERM with time to drain", () => {
  assertEquals(deploy.release_command, "deno task migrate");
  assertEquals(fly.kill_signal, "SIGTERM");
  assertEquals(fly.kill_timeout, "60s");
  assertEquals(fly.primary_region, "ams");
  assertEquals(fly.app, "onec-exchange");
});

Deno.test("fly.toml: process groups web and worker, each setting its ROLE", () => {
  assertEquals(Object.keys(flyProcesses).sort(), ["web", "worker"]);
  for (const [group, command] of Object.entries(flyProcesses)) {
    assertMatch(command, new RegExp(`(^|\\s)ROLE=${group}(\\s|$)`));
    assertEquals(tasksNamedIn(command), ["start"]);
  }
});

Deno.test("fly.toml: only web is served, on the exposed port, with /healthz and /readyz", () => {
  assertEquals(httpService.processes, ["web"]);
  assertEquals(httpService.internal_port, 8000);
  assertEquals(httpService.auto_stop_machines, "stop");
  const checks = httpService.checks as TomlTable[];
  assertEquals(checks.map((c) => c.path), ["/healthz", "/readyz"]);
  for (const check of checks) {
    assertEquals(String(check.method).toUpperCase(), "GET");
    assertEquals([check.interval, check.timeout, check.grace_period], ["15s", "5s", "30s"]);
  }
  // The routes really are served by the app.
  const routes = [...Deno.readDirSync(new URL("routes/", root))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => read(`routes/${e.name}`)).join("\n");
  for (const check of checks) {
    assert(routes.includes(`"${check.path}"`), `no route serves ${check.path}`);
  }
  // No other service could make Fly auto-stop the workers.
  assertEquals(fly.services, undefined);
});

Deno.test("fly.toml: 512 MB for both process groups", () => {
  const vms = fly.vm as TomlTable[];
  const groups = new Set<string>();
  for (const vm of vms) {
    assertEquals(vm.memory, "512mb");
    for (const g of (vm.processes as string[] | undefined) ?? Object.keys(flyProcesses)) {
      groups.add(g);
    }
  }
  assertEquals([...groups].sort(), ["web", "worker"]);
});

Deno.test("the test TOML reader reads what it claims", () => {
  const t = parseToml(`
a = "x # not a comment" # a comment
n = 1_000
[t]
  list = ["p", 'q']
[[t.items]]
  k = true
[[t.items]]
  k = false
`);
  assertEquals(t, {
    a: "x # not a comment",
    n: 1000,
    t: { list: ["p", "q"], items: [{ k: true }, { k: false }] },
  });
});
