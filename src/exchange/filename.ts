/**
 * Exchange file names as 1C sends them, made safe.
 *
 * 1C sends `filename=import.xml`, `import_files/9d/9da0…jpg`, `goods/1/import___<uuid>.xml`,
 * and on Linux 1C servers a leading `/tmp/` or `upload/1c/webdata/` (Bitrix strips both).
 * Folders are kept: `Картинка` paths and 3.x packages refer to them.
 */

export class UnsafeFileNameError extends Error {
  constructor(readonly fileName: string, reason: string) {
    super(`unsafe file name ${JSON.stringify(fileName)}: ${reason}`);
    this.name = "UnsafeFileNameError";
  }
}

// Names a web server might execute; 1C never sends them, an attacker might.
const SCRIPT_EXT =
  /\.(php\d?|phtml|phar|pl|py|cgi|asp|aspx|jsp|sh|exe|bat|cmd|htaccess|html?|js|mjs|ts|svg)$/i;
const MAX_LENGTH = 512;

export function normalizeExchangePath(raw: string): string {
  if (raw.length === 0) throw new UnsafeFileNameError(raw, "empty");
  if (raw.length > MAX_LENGTH) throw new UnsafeFileNameError(raw, `longer than ${MAX_LENGTH}`);
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    throw new UnsafeFileNameError(raw, "control characters (NUL, newline…)");
  }
  let name = raw.replaceAll("\\", "/");
  if (/^[A-Za-z]:\//.test(name)) throw new UnsafeFileNameError(raw, "absolute Windows path");
  name = name.replace(/^\/?tmp\//, "").replace(/^\/?upload\/1c\/webdata\//, "");
  if (name.startsWith("/")) throw new UnsafeFileNameError(raw, "absolute path");
  name = name.replace(/\/+$/, "");
  const parts = name.split("/");
  for (const part of parts) {
    if (part === "") throw new UnsafeFileNameError(raw, "empty path segment");
    if (part === "." || part === "..") throw new UnsafeFileNameError(raw, "'.' or '..' segment");
    // Fullwidth dots and slashes (U+FF0E, U+FF0F…) fold to "." and "/" in some file systems.
    const folded = part.normalize("NFKC");
    if (folded === "." || folded === ".." || /[/\\]/.test(folded)) {
      throw new UnsafeFileNameError(raw, "unicode look-alike of a path separator or '..'");
    }
  }
  if (SCRIPT_EXT.test(name)) throw new UnsafeFileNameError(raw, "script file extension");
  return name;
}

/** Last path segment, for matching `import.xml` against `goods/1/import.xml` requests. */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}
