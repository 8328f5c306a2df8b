/**
 * Configuration from the environment, validated once at start.
 * A bad value stops the process with one line naming the variable and what is wrong.
 */
import * as v from "valibot";
import { ConfigError, parseEnv } from "./config-env.ts";
import { type OrdersConfig, parseOrdersConfig } from "./orders/config.ts";
import { type CustomersConfig, parseCustomersConfig } from "./customers/config.ts";
import { type MarketplacesConfig, parseMarketplacesConfig } from "./marketplaces/config.ts";
import { type IntegrationLogConfig, parseIntegrationLogConfig } from "./integration-log/config.ts";

const LogLevel = v.picklist(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);
const Role = v.picklist(["web", "worker", "all"]);
const ApiRole = v.picklist(["admin", "platform", "reader"]);
export type ApiRole = v.InferOutput<typeof ApiRole>;

const intFrom = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );

const apiTokens = v.pipe(
  v.string(),
  v.transform((s) => s.split(",").map((p) => p.trim()).filter(Boolean)),
  v.array(
    v.pipe(
      v.string(),
      v.regex(
        /^(admin|platform|reader):\S{8,}$/,
        "each entry must be role:token (role admin|platform|reader, token of 8+ characters)",
      ),
    ),
  ),
  v.transform((pairs) =>
    pairs.map((p) => {
      const i = p.indexOf(":");
      return { role: p.slice(0, i) as ApiRole, token: p.slice(i + 1) };
    })
  ),
);

const EnvSchema = v.object({
  DATABASE_URL: v.optional(
    v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  ),
  PORT: v.optional(intFrom("PORT", 1, 65535), "8000"),
  ROLE: v.optional(Role, "all"),
  DENO_ENV: v.optional(v.string(), "development"),
  LOG_LEVEL: v.optional(LogLevel, "info"),
  EXCHANGE_LOGIN: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
  EXCHANGE_PASSWORD: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
  API_TOKENS: v.optional(apiTokens),
  EXCHANGE_ZIP: v.optional(v.picklist(["yes", "no"]), "yes"),
  EXCHANGE_FILE_LIMIT: v.optional(
    intFrom("EXCHANGE_FILE_LIMIT", 1024, 1024 ** 3),
    // Under nginx's default client_max_body_size (1 MiB): passes common proxies as it is.
    "1000000",
  ),
  EXCHANGE_CHARSET: v.optional(v.picklist(["utf-8", "windows-1251"]), "utf-8"),
  EXCHANGE_SESSION_TTL_SECONDS: v.optional(
    intFrom("EXCHANGE_SESSION_TTL_SECONDS", 60, 7 * 86400),
    "86400",
  ),
  EXCHANGE_KEEP: v.optional(intFrom("EXCHANGE_KEEP", 1, 100000), "10"),
  IMPORT_BATCH_SIZE: v.optional(intFrom("IMPORT_BATCH_SIZE", 1, 100000), "1000"),
  IMPORT_HEARTBEAT_SECONDS: v.optional(intFrom("IMPORT_HEARTBEAT_SECONDS", 10, 3600), "30"),
  QUEUE_SUPERVISE_SECONDS: v.optional(intFrom("QUEUE_SUPERVISE_SECONDS", 1, 3600), "15"),
  IMPORT_PARSER: v.optional(v.picklist(["thread", "inline"]), "thread"),
  ZIP_MAX_TOTAL_BYTES: v.optional(
    intFrom("ZIP_MAX_TOTAL_BYTES", 1, 2 ** 50),
    String(8 * 1024 ** 3),
  ),
  ZIP_MAX_RATIO: v.optional(intFrom("ZIP_MAX_RATIO", 1, 1e6), "200"),
  DATA_DIR: v.optional(v.string(), ".data"),
});

export type Config = {
  databaseUrl: string | undefined;
  port: number;
  role: "web" | "worker" | "all";
  production: boolean;
  logLevel: v.InferOutput<typeof LogLevel>;
  exchange: {
    login: string;
    password: string;
    zip: boolean;
    fileLimit: number;
    charset: "utf-8" | "windows-1251";
    sessionTtlSeconds: number;
    /** Raw files of this many latest exchanges are kept for replay. */
    keep: number;
  };
  apiTokens: { role: ApiRole; token: string }[];
  import: {
    batchSize: number;
    /** Parse on a worker thread (faster on 2+ cores) or on the main thread (less memory). */
    parser: "thread" | "inline";
    /** A worker that stops heartbeating this long (killed, frozen) loses its import job. */
    heartbeatSeconds: number;
    /** How often pg-boss looks for such jobs (and expired ones) to retry them. */
    superviseSeconds: number;
    zipMaxTotalBytes: number;
    zipMaxRatio: number;
  };
  dataDir: string;
  orders: OrdersConfig;
  customers: CustomersConfig;
  marketplaces: MarketplacesConfig;
  integrationLog: IntegrationLogConfig;
};

export { ConfigError } from "./config-env.ts";

/** Development defaults: a newcomer gets a working exchange without setting anything. */
const DEV_LOGIN = "1c";
const DEV_PASSWORD = "1c-exchange";
const DEV_TOKENS = "admin:dev-admin-token,platform:dev-platform-token,reader:dev-reader-token";

export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  // Empty means unset: `FOO=` in an env file must not turn into an invalid value.
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== "") clean[key] = value;
  }
  const e = parseEnv(EnvSchema, clean);
  const production = e.DENO_ENV === "production";
  if (production) {
    for (
      const name of ["DATABASE_URL", "EXCHANGE_LOGIN", "EXCHANGE_PASSWORD", "API_TOKENS"] as const
    ) {
      if (e[name] === undefined) {
        throw new ConfigError(
          `${name}: required when DENO_ENV=production (no default credentials in production)`,
        );
      }
    }
  }
  const tokens = e.API_TOKENS ?? v.parse(apiTokens, DEV_TOKENS);
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    role: e.ROLE,
    production,
    logLevel: e.LOG_LEVEL,
    exchange: {
      login: e.EXCHANGE_LOGIN ?? DEV_LOGIN,
      password: e.EXCHANGE_PASSWORD ?? DEV_PASSWORD,
      zip: e.EXCHANGE_ZIP === "yes",
      fileLimit: e.EXCHANGE_FILE_LIMIT,
      charset: e.EXCHANGE_CHARSET,
      sessionTtlSeconds: e.EXCHANGE_SESSION_TTL_SECONDS,
      keep: e.EXCHANGE_KEEP,
    },
    apiTokens: tokens,
    import: {
      batchSize: e.IMPORT_BATCH_SIZE,
      parser: e.IMPORT_PARSER,
      heartbeatSeconds: e.IMPORT_HEARTBEAT_SECONDS,
      superviseSeconds: e.QUEUE_SUPERVISE_SECONDS,
      zipMaxTotalBytes: e.ZIP_MAX_TOTAL_BYTES,
      zipMaxRatio: e.ZIP_MAX_RATIO,
    },
    dataDir: e.DATA_DIR,
    orders: parseOrdersConfig(clean, production),
    customers: parseCustomersConfig(clean, production),
    marketplaces: parseMarketplacesConfig(clean, production),
    integrationLog: parseIntegrationLogConfig(clean),
  };
}
