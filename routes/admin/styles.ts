/**
 * The admin page's stylesheet, inlined under the page's CSP nonce: the page loads nothing
 * from anywhere, so it works where the network is closed.
 */
export const ADMIN_CSS = `
:root { color-scheme: light; --line: #e3e3e3; --muted: #6b6b6b; --ok: #137333; --bad: #b3261e;
  --run: #8a5a00; --bg-soft: #f6f7f8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f1f1f; background: #fff; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.25rem;
  border-bottom: 1px solid var(--line); background: var(--bg-soft); }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
header a { color: inherit; }
main { padding: 0 1.25rem 2rem; max-width: 90rem; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; background: var(--bg-soft); white-space: nowrap; }
td.file, td.counts, td.errors, td.progress { overflow-wrap: break-word; }
.muted, .empty td { color: var(--muted); }
.status { font-weight: 600; white-space: nowrap; }
.st-success .status { color: var(--ok); }
.st-failed .status { color: var(--bad); }
.st-running .status, .st-queued .status { color: var(--run); }
.box { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin: 1rem 0; }
.box.error { border-color: #f1b7b2; background: #fdf0ef; }
.box.notice { border-color: #b7dfc2; background: #eff8f1; }
.unavailable { color: var(--muted); font-style: italic; }
form.inline { display: inline; margin: 0; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; }
legend { font-weight: 600; }
.choice { display: block; padding: .2rem 0; }
.choice small, .files { color: var(--muted); }
.files { margin: .1rem 0 .3rem 1.6rem; padding: 0; list-style: none; font-size: 13px; }
.filters { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; margin: .4rem 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
button { font: inherit; padding: .25rem .7rem; cursor: pointer; }
input[type=password], input[type=text], select { font: inherit; padding: .25rem .4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-word; }
.login { max-width: 24rem; margin: 4rem auto; }
.login label { display: block; margin: .5rem 0 .25rem; }
.login input { width: 100%; }
`;
