/**
 * A problem with what 1C sent (a missing file, an order of files that cannot work), not with
 * us: the run fails at once with this message, and retrying would not help.
 */
export class ImportInputError extends Error {
  override name = "ImportInputError";
}
