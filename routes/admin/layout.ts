/**
 * The page shell every admin page shares: header with the logout button, the stylesheet
 * and the refresh script under the response's CSP nonce. hono/html escapes every value.
 */
import { html, raw } from "hono/html";
import { ADMIN_CSS } from "./styles.ts";
import { REFRESH_SCRIPT } from "./refresh-script.ts";

export type Html = ReturnType<typeof html>;

/** Declared so the browser does not ask for /favicon.ico, which is not ours to serve. */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">' +
  '<rect width="16" height="16" rx="3" fill="#8a1c1c"/><text x="8" y="12" font-size="10" ' +
  'text-anchor="middle" fill="#fff" font-family="sans-serif">1C</text></svg>';

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

export function page(opts: {
  title: string;
  nonce: string;
  body: Html;
  /** `runs` (the list) or `run:{id}` (a run's page): what the script keeps fresh. */
  refresh?: string;
  /** Present when logged in: the header gets navigation and the logout button. */
  csrf?: string;
}): Html {
  const nav = opts.csrf === undefined ? "" : html`
    <nav>
          <a href="/admin#runs">Runs</a> · <a href="/admin#start">Start an import</a> ·
          <a href="/admin#jobs">Failed jobs</a> · <a href="/admin#log">Log</a>
        </nav>
    <form class="inline" method="post" action="/admin/logout">
          ${csrfField(opts.csrf)}<button type="submit">Log out</button>
        </form>
  `;
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <link rel="icon" href="/admin/favicon.svg" type="image/svg+xml">
        <title>${opts.title} · 1C exchange admin</title>
        <style nonce="${opts.nonce}">${raw(ADMIN_CSS)}</style>
      </head>
      <body data-refresh="${opts.refresh ?? ""}">
        <header><h1>1C exchange admin</h1>${nav}</header>
        <main>
    ${opts.body}
        </main>
        <script nonce="${opts.nonce}">${raw(REFRESH_SCRIPT)}</script>
      </body>
    </html>
  `;
}
