/**
 * Renders any section of src/admin/sections.ts: its filters as a GET form, its table, and
 * each row's actions as small POST forms to /admin/actions/{name}.
 */
import { html } from "hono/html";
import type {
  AdminAction,
  AdminCell,
  AdminFilter,
  AdminSection,
  SectionContent,
} from "../../src/admin/section-types.ts";
import { csrfField, type Html } from "./layout.ts";

/** Links only ever point inside the admin page: a cell can never carry `javascript:`. */
function cell(c: AdminCell): Html {
  if (typeof c === "string") return html`<td>${c}</td>`;
  const href = c.href.startsWith("/admin/") ? c.href : "/admin";
  return html`<td><a href="${href}">${c.text}</a></td>`;
}

function action(a: AdminAction, csrf: string): Html {
  const fields = Object.entries(a.fields).map(([name, value]) =>
    html`<input type="hidden" name="${name}" value="${value}">`
  );
  const path = `/admin/actions/${encodeURIComponent(a.name)}`;
  const token = csrfField(csrf);
  return html`<form class="inline" method="post" action="${path}">${token}${fields}<button
      type="submit">${a.label}</button></form>`;
}

/**
 * A GET form for one section's filters. The other sections' filters ride along as hidden
 * fields, so filtering one section does not reset another.
 */
function filterForm(
  sectionId: string,
  filters: AdminFilter[],
  query: URLSearchParams,
): Html {
  const own = new Set(filters.map((f) => `${sectionId}.${f.name}`));
  const others = [...query].filter(([k]) => k.includes(".") && !own.has(k))
    .map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  const fields = filters.map((f) => {
    const name = `${sectionId}.${f.name}`;
    if (!f.options) {
      return html`<label>${f.label}<input type="text" name="${name}" value="${f.value}"></label>`;
    }
    const options = f.options.map((o) =>
      html`<option value="${o.value}" ${o.value === f.value ? "selected" : ""}>${o.label}</option>`
    );
    return html`<label>${f.label}<select name="${name}">${options}</select></label>`;
  });
  return html`<form class="filters" method="get" action="/admin#${sectionId}">
    ${others}${fields}<button type="submit">Filter</button>
  </form>`;
}

export function sectionView(
  section: AdminSection,
  content: SectionContent,
  query: URLSearchParams,
  csrf: string,
): Html {
  const head = html`<h2 id="${section.id}">${section.title}</h2>`;
  if (!content.available) {
    return html`<section data-section="${section.id}">${head}
      <p class="unavailable">${content.reason}</p></section>`;
  }
  const t = content.table;
  const withActions = t.rows.some((r) => r.actions?.length);
  const columns = [...t.columns, ...(withActions ? [""] : [])];
  const rows = t.rows.length === 0
    ? html`
      <tr class="empty">
        <td colspan="${columns.length}">${t.empty}</td>
      </tr>
    `
    : t.rows.map((r) =>
      html`<tr>${r.cells.map(cell)}${
        withActions ? html`<td>${(r.actions ?? []).map((a) => action(a, csrf))}</td>` : ""
      }</tr>`
    );
  return html`<section data-section="${section.id}">${head}
    ${content.summary ? html`<p>${content.summary}</p>` : ""}
    ${content.filters?.length ? filterForm(section.id, content.filters, query) : ""}
    <table>
      <thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
      <tbody>${rows}</tbody>
    </table>
    ${content.note ? html`<p class="muted">${content.note}</p>` : ""}
  </section>`;
}

/** A section whose loader threw: the rest of the page still renders. */
export function brokenSection(section: AdminSection, message: string): Html {
  return html`
    <section data-section="${section.id}">
      <h2 id="${section.id}">${section.title}</h2>
      <p class="box error">Could not load this section: ${message}</p>
    </section>
  `;
}
