/**
 * The saxes parser every CommerceML reader uses (catalog, counterparties, order documents),
 * so the guard against hostile XML lives in one place:
 * - local names only (`xmlns: false`): namespaces differ across versions (none,
 *   commerceml_2, _210, _3); saxes knows only the 5 XML entities and numeric references;
 * - a DOCTYPE is refused: never in CommerceML, and refusing it rules out external entities
 *   and entity bombs;
 * - positions on, so every error names its line and column.
 */
import { SaxesParser, type SaxesTagPlain } from "saxes";

export type CommerceMLSaxes = SaxesParser<{ xmlns: false }>;

/** Arrow functions bound to the reader (they are handed to saxes as they are). */
export interface CommerceMLHandlers {
  open: (tag: SaxesTagPlain) => void;
  close: () => void;
  /** Text and CDATA alike. */
  text: (text: string) => void;
  /** The error to throw for `message` (the reader adds line and column). */
  error(message: string): Error;
  /** saxes' own message (e.g. "12:3: unexpected close tag.") as the reader words it. */
  describe?(message: string): string;
}

/** saxes' message without the position prefix it adds (the reader's error carries it). */
export const withoutPosition = (message: string): string => message.replace(/^\d+:\d+: /, "");

export function commerceMLSaxes(h: CommerceMLHandlers): CommerceMLSaxes {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const describe = h.describe ?? withoutPosition;
  // The reader's own functions, not wrapped again: these run for every element of a 1 GB file.
  parser.on("opentag", h.open);
  parser.on("closetag", h.close);
  parser.on("text", h.text);
  parser.on("cdata", h.text);
  parser.on("doctype", () => {
    throw h.error("DOCTYPE is not allowed in CommerceML");
  });
  parser.on("error", (err) => {
    throw h.error(describe(err.message));
  });
  return parser;
}
