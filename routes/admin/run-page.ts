/**
 * /admin/runs/{id}: one run's report — counts per entity, warnings, the error, timings,
 * file size. Reloads itself (via the page script) while the run is queued or running.
 */
import { html } from "hono/html";
import type { RunReport } from "../../src/admin/runs-view.ts";
import { type Html, page } from "./layout.ts";

export function runPage(nonce: string, csrf: string, r: RunReport): Html {
  const run = r.run;
  const counts = r.counts.length === 0
    ? html`<p class="muted">${r.row.active ? "Nothing counted yet." : "Nothing imported."}</p>`
    : html`
      <table id="counts">
        <thead>
          <tr>
            <th>Entity</th>
            <th>Created</th>
            <th>Updated</th>
            <th>Unchanged</th>
            <th>Deactivated</th>
            <th>Skipped</th>
          </tr>
        </thead>
        <tbody>${r.counts.map((c) =>
          html`
            <tr>
              <td>${c.entity}</td>
              <td>${c.created}</td>
              <td>${c.updated}</td>
              <td>${c.unchanged}</td>
              <td>${c.deactivated}</td>
              <td>${c.skipped}</td>
            </tr>
          `
        )}</tbody>
      </table>
    `;
  const warnings = run.errors.length === 0
    ? html`<p class="muted">No warnings.</p>`
    : html`<ul id="warnings">${run.errors.map((w) => html`<li>${w}</li>`)}</ul>`;
  const size = r.fileSize
    ? `${r.fileSize}${run.fileSize !== run.bytesRead ? ` (${r.bytesRead} read)` : ""}`
    : "";
  return page({
    title: `Run #${run.id}`,
    nonce,
    csrf,
    refresh: r.row.active ? `run:${run.id}` : undefined,
    body: html`
      <p><a href="/admin">← all runs</a></p>
      <h2>Run #${run.id}: ${run.fileName}</h2>
      <p id="refresh-note" class="muted"></p>
      <dl class="st-${run.status}" id="report">
        <dt>Status</dt>
        <dd class="status" data-status="${run.status}">${run.status}</dd>
        <dt>Kind</dt>
        <dd>${run.kind ?? "not known yet"}</dd>
        <dt>Progress</dt>
        <dd>${run.progress ?? ""}</dd>
        <dt>Exchange</dt>
        <dd><code>${run.sessionId ?? ""}</code>${run.fullExchange === null
          ? ""
          : run.fullExchange
          ? " (full)"
          : " (changes only)"}</dd>
        <dt>File size</dt>
        <dd>${size}</dd>
        <dt>Queued</dt>
        <dd>${r.created}</dd>
        <dt>Started</dt>
        <dd>${r.started}${r.waited ? ` (waited ${r.waited})` : ""}</dd>
        <dt>Finished</dt>
        <dd>${r.finished}</dd>
        <dt>Duration</dt>
        <dd>${r.row.duration}</dd>
        <dt>Request id</dt>
        <dd><code>${run.requestId ?? ""}</code></dd>
      </dl>
      ${run.error
        ? html`
          <h3>Error</h3>
          <p class="box error" id="run-error">${run.error}</p>
        `
        : ""}
      <h3>Counts</h3>
      ${counts}
      <h3>Warnings</h3>
      ${warnings}
    `,
  });
}
