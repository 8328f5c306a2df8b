/**
 * Valibot building blocks for marketplace records. Ids come as JSON numbers (exact ones up to
 * 2^53, longer ones as the decimal string exact-json.ts kept) or as strings ("skus[]: int64
 * as strings"); they are stored as decimal strings, exactly as the marketplace gave them.
 */
import * as v from "valibot";

export const Id = v.pipe(
  v.union([
    v.pipe(v.number(), v.safeInteger()),
    v.pipe(v.string(), v.regex(/^-?\d{1,20}$/)),
  ], "must be an integer id"),
  v.transform((x) => String(x)),
);

/** Stock counts: whole and never negative. */
export const Count = v.pipe(
  v.number("must be a number"),
  v.integer("must be whole"),
  v.minValue(0, "must not be negative"),
  v.maxValue(2_147_483_647, "is out of range"),
);

export const Text = v.pipe(v.string(), v.trim());

/** First issue of a failed parse as `path: message`, for the run's skip notes. */
export function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const path = issue.path?.map((p) => String(p.key)).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Reads one field of an invalid record, when it is there, to keep its old row. */
export function looseId(record: unknown, field: string): string | null {
  if (!record || typeof record !== "object") return null;
  const r = v.safeParse(Id, (record as Record<string, unknown>)[field]);
  return r.success ? r.output : null;
}

/** Ozon ids go back out as JSON numbers, exact even beyond 2^53 (JSON.rawJSON). */
export function jsonInt(id: string): number {
  const n = Number(id);
  if (Number.isSafeInteger(n)) return n;
  return (JSON as unknown as { rawJSON(text: string): number }).rawJSON(id);
}

export interface InvalidRecord {
  record: unknown;
  issue: string;
}

export interface Parsed<T> {
  items: T[];
  invalid: InvalidRecord[];
}

/** Validates each record on its own: one bad record is skipped, the page is not lost. */
export function parseRecords<T>(
  schema: v.GenericSchema<unknown, T>,
  records: readonly unknown[],
): Parsed<T> {
  const out: Parsed<T> = { items: [], invalid: [] };
  for (const record of records) {
    const r = v.safeParse(schema, record);
    if (r.success) out.items.push(r.output);
    else out.invalid.push({ record, issue: firstIssue(r.issues) });
  }
  return out;
}
