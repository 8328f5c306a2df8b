/**
 * The shared half of configuration: each part of the service (src/config.ts and each
 * capability's config.ts) validates the environment variables its valibot schema names, and a
 * bad value stops the process with one line naming the variable and what is wrong.
 */
import * as v from "valibot";

export class ConfigError extends Error {}

type EnvSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

/** Validates the variables `schema` names (others are ignored); throws ConfigError. */
export function parseEnv<S extends EnvSchema>(
  schema: S,
  env: Record<string, string>,
): v.InferOutput<S> {
  const picked = Object.fromEntries(
    Object.keys(schema.entries).flatMap((k) => k in env ? [[k, env[k]]] : []),
  );
  const parsed = v.safeParse(schema, picked);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = issue.path?.[0]?.key ?? "environment";
    throw new ConfigError(`${String(key)}: ${issue.message}`);
  }
  return parsed.output;
}

/** Whether the runtime knows `tz` as an IANA time zone ("Europe/Moscow", "UTC"). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A variable holding 1C's time zone. */
export const ianaTimeZone = () =>
  v.pipe(
    v.string(),
    v.check(isTimeZone, "must be an IANA time zone such as Europe/Moscow or UTC"),
  );
