/**
 * Import runs as the admin page shows them: one row of display strings per run, built here
 * once and used both by the server-rendered table and by the JSON the page's refresh script
 * re-renders from, so the two can never disagree.
 */
import type { AppContext } from "../context.ts";
import { reconcileRun, summarizeCounts } from "../imports/import-runs.ts";
import { getImport, type ImportRunView, listImports } from "../imports/import-read-model.ts";
import { formatBytes, formatDuration, formatTime } from "./format.ts";

export interface RunRow {
  id: number;
  href: string;
  kind: string;
  file: string;
  status: string;
  /** Queued or running: the page keeps refreshing while any row is. */
  active: boolean;
  progress: string;
  counts: string;
  started: string;
  duration: string;
  errors: string;
}

export interface RunsList {
  active: boolean;
  rows: RunRow[];
}

export const isActive = (status: string) => status === "queued" || status === "running";

export function runRow(run: ImportRunView, now = Date.now()): RunRow {
  const warnings = run.errors.length;
  const errors = [
    run.error ?? "",
    warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : "",
  ].filter(Boolean).join("; ");
  const counts = summarizeCounts(run.counts);
  return {
    id: run.id,
    href: `/admin/runs/${run.id}`,
    kind: run.kind ?? "",
    file: run.fileName,
    status: run.status,
    active: isActive(run.status),
    progress: run.progress ?? "",
    counts: counts === "nothing to import" && isActive(run.status) ? "" : counts,
    started: formatTime(run.startedAt ?? run.createdAt),
    duration: runDuration(run, now),
    errors,
  };
}

function runDuration(run: ImportRunView, now: number): string {
  if (run.durationSeconds !== null) return formatDuration(run.durationSeconds);
  if (run.status === "running" && run.startedAt) {
    return `${formatDuration((now - Date.parse(run.startedAt)) / 1000)} so far`;
  }
  return "";
}

/**
 * The newest runs, after settling any run whose job pg-boss gave up on: otherwise a run left
 * "running" by a dead worker would keep the page refreshing forever.
 */
export async function adminRuns(ctx: AppContext, limit = 50): Promise<RunsList> {
  const open = await ctx.db.selectFrom("import_runs").selectAll()
    .where("status", "in", ["queued", "running"]).execute();
  let active = false;
  for (const run of open) {
    const settled = await reconcileRun(ctx, run);
    if (isActive(settled.status)) active = true;
  }
  const page = await listImports(ctx.db, {}, limit);
  const now = Date.now();
  return { active, rows: page.items.map((r) => runRow(r, now)) };
}

export interface CountLine {
  entity: string;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
}

/** A run's report: what the detail page shows. */
export interface RunReport {
  run: ImportRunView;
  row: RunRow;
  counts: CountLine[];
  fileSize: string;
  bytesRead: string;
  created: string;
  started: string;
  finished: string;
  waited: string;
}

export async function runReport(ctx: AppContext, id: number): Promise<RunReport | undefined> {
  const run = await getImport(ctx.db, id);
  if (!run) return undefined;
  const counts = Object.entries(run.counts).map(([entity, c]) => ({
    entity,
    created: c.created ?? 0,
    updated: c.updated ?? 0,
    unchanged: c.unchanged ?? 0,
    deactivated: c.deactivated ?? 0,
    skipped: c.skipped ?? 0,
  }));
  const waited = run.startedAt
    ? formatDuration((Date.parse(run.startedAt) - Date.parse(run.createdAt)) / 1000)
    : "";
  return {
    run,
    row: runRow(run),
    counts,
    fileSize: formatBytes(run.fileSize),
    bytesRead: formatBytes(run.bytesRead),
    created: formatTime(run.createdAt),
    started: formatTime(run.startedAt),
    finished: formatTime(run.finishedAt),
    waited,
  };
}
