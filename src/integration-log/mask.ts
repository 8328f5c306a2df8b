/**
 * What the integration log must never hold: "secrets masked". Headers are not recorded at all
 * (so `Authorization`, `Api-Key`, `Client-Id` and cookies never reach a row); what is recorded
 * (URLs and bodies) goes through these functions first.
 *
 * The masking works on text, not on parsed JSON: a body re-serialised from a parse would lose
 * int64 ids (Ozon's SKUs) and its own layout, and a body cut at the size limit does not parse.
 */

/** What replaces a masked value. */
export const MASK = "***";

/** Field and parameter names whose values are credentials (matched anywhere in the name). */
const SENSITIVE_NAME =
  /pass(word|wd)?|secret|token|api[-_]?key|^key$|sessid|session[-_]?id|cookie|authorization|signature/i;

/**
 * `"name": value` pairs in JSON text whose name is sensitive; the value is a string, a number
 * or a literal. Nested objects under such a name are left to the names inside them.
 */
const JSON_PAIR =
  /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|-?\d[\d.eE+-]*|true|false|null)/g;

/** `name=value` pairs (query strings, form bodies, 1C's `sessid=` answer line). */
const KV_PAIR = /(^|[?&\s;,])([A-Za-z0-9_.-]+)=([^&\s;,]*)/g;

/** HTTP credentials written out in a text (an error message echoing a header). */
const AUTH_VALUE = /\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/gi;

/** Values shorter than this are not scrubbed literally: they would garble ordinary text. */
const MIN_SECRET_LENGTH = 6;

/** Replaces every literal occurrence of a configured secret (API key, token, password). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= MIN_SECRET_LENGTH) out = out.replaceAll(s, MASK);
  }
  return out;
}

/** Masks the values of sensitive JSON fields, `name=value` pairs and written-out credentials. */
export function maskText(text: string, secrets: readonly string[] = []): string {
  const json = text.replace(
    JSON_PAIR,
    (whole, name: string, colon: string) =>
      SENSITIVE_NAME.test(name) ? `"${name}"${colon}"${MASK}"` : whole,
  );
  const pairs = json.replace(
    KV_PAIR,
    (whole, lead: string, name: string, value: string) =>
      SENSITIVE_NAME.test(name) && value !== "" ? `${lead}${name}=${MASK}` : whole,
  );
  return scrubSecrets(
    pairs.replace(AUTH_VALUE, (_m, scheme: string) => `${scheme} ${MASK}`),
    secrets,
  );
}

/**
 * A URL fit for the log: user info dropped, sensitive query parameters masked, configured
 * secrets scrubbed (a key pasted into a path). Unparseable input is masked as text.
 */
export function maskUrl(raw: string, secrets: readonly string[] = []): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return maskText(raw, secrets);
  }
  url.username = "";
  url.password = "";
  // Pair by pair on the raw query, so what is not masked keeps its exact spelling (1C's
  // `?get_param?type=` quirk included).
  const query = url.search.slice(1).split("&").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 0) return pair;
    let name = pair.slice(0, eq);
    try {
      name = decodeURIComponent(name.replaceAll("+", " "));
    } catch { /* tested as written */ }
    const sensitive = SENSITIVE_NAME.test(name.slice(name.lastIndexOf("?") + 1));
    return sensitive && eq < pair.length - 1 ? `${pair.slice(0, eq)}=${MASK}` : pair;
  }).join("&");
  url.search = "";
  url.hash = ""; // never sent over HTTP anyway
  return scrubSecrets(url.toString() + (query ? `?${query}` : ""), secrets);
}

/**
 * A protocol answer of 1C's exchange: checkauth's lines 2–3 are the session cookie's name and
 * value, and its `sessid=` line the same session's token — either lets anyone continue the
 * exchange, so neither is kept.
 */
export function maskExchangeAnswer(text: string, cookieName: string): string {
  const lines = text.split("\n");
  if (lines[1] === cookieName && lines.length > 2 && lines[2] !== "") lines[2] = MASK;
  return maskText(lines.join("\n"));
}
