/**
 * The admin page's sections beyond the import runs are data, not markup: a section loads a
 * table (with optional filters and per-row actions) and the page renders any such table the
 * same way. A capability that gains something to show adds a loader; one whose data does
 * not exist yet says so with `available: false`.
 */
import type { AppContext } from "../context.ts";

/** A button on a row: POSTs `fields` to /admin/actions/{name} (see actions.ts). */
export interface AdminAction {
  name: string;
  label: string;
  fields: Record<string, string>;
}

export type AdminCell = string | { text: string; href: string };

export interface AdminRow {
  cells: AdminCell[];
  actions?: AdminAction[];
}

export interface AdminTable {
  columns: string[];
  rows: AdminRow[];
  /** Shown instead of an empty table. */
  empty: string;
}

/** A GET filter; its query parameter is `{section id}.{name}`. */
export interface AdminFilter {
  name: string;
  label: string;
  value: string;
  /** A select when given, a text field otherwise. */
  options?: { value: string; label: string }[];
}

export type SectionContent =
  | { available: false; reason: string }
  | {
    available: true;
    summary?: string;
    filters?: AdminFilter[];
    table: AdminTable;
    note?: string;
  };

export interface AdminSection {
  id: string;
  title: string;
  load(ctx: AppContext, query: URLSearchParams): Promise<SectionContent>;
}

export interface ActionResult {
  ok: boolean;
  message: string;
}

/** Runs one row action; validates its own fields (they come from the browser). */
export type AdminActionHandler = (
  ctx: AppContext,
  fields: Record<string, string>,
) => Promise<ActionResult>;

/** The value of a section's filter from the page's query string. */
export function filterValue(query: URLSearchParams, section: string, name: string): string {
  return query.get(`${section}.${name}`)?.trim() ?? "";
}
