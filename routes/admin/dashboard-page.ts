/**
 * /admin: the import runs (refreshed while one runs), the "Start an import" form, then the
 * data-driven sections (src/admin/sections.ts).
 */
import { html } from "hono/html";
import type { RunRow, RunsList } from "../../src/admin/runs-view.ts";
import type { KeptExchange } from "../../src/admin/kept-exchanges.ts";
import { IMPORT_STARTERS } from "../../src/admin/import-starters.ts";
import { csrfField, type Html, page } from "./layout.ts";

export interface PageMessage {
  kind: "error" | "notice";
  text: string;
  link?: { href: string; text: string };
}

export function messageBox(m: PageMessage | undefined): Html | string {
  if (!m) return "";
  const link = m.link
    ? html`
      <a href="${m.link.href}">${m.link.text}</a>
    `
    : "";
  return html`<p class="box ${m.kind}" role="status">${m.text}${link}</p>`;
}

export function runRowHtml(r: RunRow): Html {
  return html`
    <tr class="st-${r.status}" data-run-id="${r.id}" data-status="${r.status}">
      <td><a href="${r.href}">#${r.id}</a></td>
      <td class="kind">${r.kind}</td>
      <td class="file">${r.file}</td>
      <td class="status">${r.status}</td>
      <td class="progress">${r.progress}</td>
      <td class="counts">${r.counts}</td>
      <td class="started">${r.started}</td>
      <td class="duration">${r.duration}</td>
      <td class="errors">${r.errors}</td>
    </tr>
  `;
}

function runsSection(runs: RunsList): Html {
  const rows = runs.rows.length === 0
    ? html`
      <tr class="empty">
        <td colspan="9">No import runs yet.</td>
      </tr>
    `
    : runs.rows.map(runRowHtml);
  return html`
    <section>
      <h2 id="runs-title">Import runs</h2>
      <p id="refresh-note" class="muted">${runs.active
        ? "An import is queued or running: reload to follow it."
        : ""}</p>
      <table id="runs" data-active="${String(runs.active)}">
        <thead>
          <tr>
            <th>Run</th>
            <th>Kind</th>
            <th>File</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Counts</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Errors</th>
          </tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
    </section>
  `;
}

function startSection(
  exchanges: KeptExchange[],
  csrf: string,
  selected: { exchangeId?: string; kind?: string },
): Html {
  if (exchanges.length === 0) {
    return html`
      <section>
        <h2 id="start">Start an import</h2>
        <p class="muted">No exchange is kept yet: the files of 1C's next exchange will be offered
            here (the last EXCHANGE_KEEP exchanges are kept).</p>
      </section>
    `;
  }
  const chosenExchange = selected.exchangeId ?? exchanges[0].id;
  const chosenKind = selected.kind ?? "catalog";
  const exchangeChoices = exchanges.map((e) => {
    const checked = e.id === chosenExchange ? "checked" : "";
    const from = e.clientIp ? ` from ${e.clientIp}` : "";
    const holds = e.kinds.length ? ` · holds ${e.kinds.join(", ")}` : "";
    const files = e.files.map((f) => html`<li>${f.name} (${f.size})</li>`);
    const pictures = e.pictures ? html`<li>+ ${e.pictures} picture(s)</li>` : "";
    return html`
      <label class="choice">
        <input type="radio" name="exchangeId" value="${e.id}" ${checked} required>
        <code>${e.id}</code> <small>${e.created}${from}${holds}</small>
      </label>
      <ul class="files">${files}${pictures}</ul>
    `;
  });
  const kindChoices = IMPORT_STARTERS.map((s) => {
    const checked = s.value === chosenKind && s.start ? "checked" : "";
    const disabled = s.start ? "" : "disabled";
    const hint = s.start ? s.hint : `${s.hint}: ${s.unavailable ?? "not available yet"}`;
    return html`
      <label class="choice">
        <input type="radio" name="kind" value="${s.value}" ${checked} ${disabled}>
        ${s.label} <small>${hint}</small>
      </label>
    `;
  });
  return html`<section>
  <h2 id="start">Start an import</h2>
  <form method="post" action="/admin/imports">
    ${csrfField(csrf)}
    <fieldset><legend>Exchange (kept files, newest first)</legend>${exchangeChoices}</fieldset>
    <fieldset><legend>What to import</legend>${kindChoices}</fieldset>
    <p><button type="submit" id="start-import">Start the import</button></p>
  </form>
  <p class="muted">The import goes through the same job as 1C's exchange: offers, prices and
  stock need a catalog (on an empty catalog the run fails with "import the catalog first"),
  and one import runs at a time.</p>
</section>`;
}

export function dashboardPage(opts: {
  nonce: string;
  csrf: string;
  runs: RunsList;
  exchanges: KeptExchange[];
  sections: Html[];
  message?: PageMessage;
  selected?: { exchangeId?: string; kind?: string };
}): Html {
  return page({
    title: "Imports",
    nonce: opts.nonce,
    csrf: opts.csrf,
    refresh: "runs",
    body: html`${messageBox(opts.message)}
${runsSection(opts.runs)}
${startSection(opts.exchanges, opts.csrf, opts.selected ?? {})}
${opts.sections}`,
  });
}
