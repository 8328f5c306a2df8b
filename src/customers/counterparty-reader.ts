/**
 * Streaming reader for the counterparties of a CommerceML file: the `Контрагенты` directory
 * at the root (1C's customer directory) and the buyers inside order documents
 * (`Документ/Контрагенты`, also under a 3.x `Контейнер`). src/commerceml/reader.ts only
 * reports that such a section exists; this one reads it.
 *
 * CommerceML 2.05 schema, type Контрагент (the parts read here):
 *   Ид, Наименование, ОфициальноеНаименование, ЮридическийАдрес, ИНН, КПП, …  (organisation)
 *   ПолноеНаименование, Обращение, Фамилия, Имя, Отчество, …, АдресРегистрации (person)
 *   Адрес, Контакты/Контакт (Тип, Значение), Представители/Представитель (Отношение, …)
 * 1C and Bitrix add НомерВерсии, ПометкаУдаления, Роль and ЗначенияРеквизитов. 2.03 clients
 * wrap a representative's fields in Представитель/Контрагент.
 *
 * Counterparties are few (thousands) and small, so unlike the catalog reader this one keeps a
 * plain name stack; it still never holds more than one Контрагент in memory.
 */
import type { SaxesTagPlain } from "saxes";
import {
  type CommerceMLSaxes,
  commerceMLSaxes,
  withoutPosition,
} from "../commerceml/guarded-saxes.ts";
import { CmlError } from "../commerceml/records.ts";
import { decodeXml } from "../commerceml/decode.ts";

export interface CounterpartyRecord {
  type: "counterparty";
  /** Ид, trimmed. */
  id: string;
  /** НомерВерсии: opaque, changes with every change in 1C. */
  version: string | null;
  /** ПометкаУдаления=true. */
  deleted: boolean;
  name: string | null;
  officialName: string | null;
  fullName: string | null;
  lastName: string | null;
  firstName: string | null;
  middleName: string | null;
  taxId: string | null;
  kpp: string | null;
  /** Роль: Покупатель, Продавец, … */
  role: string | null;
  /** Представление of Адрес, ЮридическийАдрес and АдресРегистрации, when present. */
  addresses: Partial<Record<AddressKind, string>>;
  contacts: { type: string; value: string }[];
  representatives: { relation: string | null; id: string | null; name: string }[];
  /** ЗначенияРеквизитов: Наименование → Значение. */
  requisites: Record<string, string>;
  /** The root `Контрагенты` directory, or the counterparties of a `Документ`. */
  source: "directory" | "document";
  /** КоммерческаяИнформация/@ДатаФормирования as written: 1C's wall-clock time. */
  fileDate: string | null;
  /** Where the Контрагент starts, for messages. */
  line: number;
}

/** A Контрагент that cannot be imported, with the reason (the import lists them). */
export interface CounterpartySkip {
  type: "skip";
  line: number;
  reason: string;
}

export type CounterpartyItem = CounterpartyRecord | CounterpartySkip;

export type AddressKind = "Адрес" | "ЮридическийАдрес" | "АдресРегистрации";

export interface CounterpartyReaderOptions {
  /** Deepest element nesting accepted. Default 64. */
  maxDepth?: number;
  /** Longest text accepted in one text node. Default 1 MiB: no counterparty field is longer. */
  maxTextLength?: number;
}

/** Leaf elements read, by their path below Контрагент. */
const LEAVES = new Set([
  "Ид",
  "НомерВерсии",
  "ПометкаУдаления",
  "Наименование",
  "ОфициальноеНаименование",
  "ПолноеНаименование",
  "Фамилия",
  "Имя",
  "Отчество",
  "ИНН",
  "КПП",
  "Роль",
  "Адрес/Представление",
  "ЮридическийАдрес/Представление",
  "АдресРегистрации/Представление",
  "Контакты/Контакт/Тип",
  "Контакты/Контакт/Значение",
  "Представители/Представитель/Отношение",
  "Представители/Представитель/Ид",
  "Представители/Представитель/Наименование",
  "Представители/Представитель/Контрагент/Отношение",
  "Представители/Представитель/Контрагент/Ид",
  "Представители/Представитель/Контрагент/Наименование",
  "ЗначенияРеквизитов/ЗначениеРеквизита/Наименование",
  "ЗначенияРеквизитов/ЗначениеРеквизита/Значение",
]);

const CONTACT = "Контакты/Контакт";
const REPRESENTATIVE = "Представители/Представитель";
const REQUISITE = "ЗначенияРеквизитов/ЗначениеРеквизита";

interface Draft {
  line: number;
  source: CounterpartyRecord["source"];
  fields: Record<string, string>;
  contacts: { type: string; value: string }[];
  representatives: CounterpartyRecord["representatives"];
  requisites: Record<string, string>;
  part: Record<string, string> | null;
}

/**
 * Push-style: feed decoded text with `write`, get the counterparties each chunk completed;
 * `close` checks that the document ended properly.
 */
export class CounterpartyReader {
  readonly #maxDepth: number;
  readonly #maxTextLength: number;
  readonly #parser: CommerceMLSaxes;
  #out: CounterpartyItem[] = [];
  #failure: CmlError | null = null;
  #names: string[] = [];
  #fileDate: string | null = null;
  #sawRoot = false;
  /** Index in #names of the open top-level Контрагент, or -1. */
  #at = -1;
  #draft: Draft | null = null;
  /** The path below Контрагент of the leaf whose text is being collected, or null. */
  #leaf: string | null = null;
  #text = "";

  constructor(opts: CounterpartyReaderOptions = {}) {
    this.#maxDepth = opts.maxDepth ?? 64;
    this.#maxTextLength = opts.maxTextLength ?? 1024 * 1024;
    const parser = commerceMLSaxes({
      open: (tag) => this.#open(tag),
      close: () => this.#close(),
      text: (t) => this.#onText(t),
      error: (message) => this.#error(message),
      describe: (message) => withoutPosition(message).replace(/\.$/, ""),
    });
    this.#parser = parser;
  }

  write(text: string): CounterpartyItem[] {
    if (this.#failure !== null) throw this.#failure;
    try {
      this.#parser.write(text);
      const pending = (this.#parser as unknown as { text?: unknown }).text;
      if (typeof pending === "string" && pending.length > this.#maxTextLength) {
        throw this.#error(`text longer than ${this.#maxTextLength} characters`);
      }
    } catch (err) {
      throw this.#fail(err);
    }
    return this.#take();
  }

  close(): CounterpartyItem[] {
    if (this.#failure !== null) throw this.#failure;
    try {
      if (this.#names.length > 0) {
        throw this.#error(`unexpected end of file (unclosed <${this.#names.at(-1)}>)`);
      }
      if (!this.#sawRoot) throw this.#error("unexpected end of file (no root element)");
      this.#parser.close();
    } catch (err) {
      throw this.#fail(err);
    }
    return this.#take();
  }

  #take(): CounterpartyItem[] {
    const out = this.#out;
    if (out.length !== 0) this.#out = [];
    return out;
  }

  #fail(err: unknown): CmlError {
    const failure = err instanceof CmlError
      ? err
      : this.#error(err instanceof Error ? err.message : String(err));
    this.#failure = failure;
    this.#out = [];
    return failure;
  }

  #error(message: string): CmlError {
    return new CmlError(message, this.#parser.line, this.#parser.column);
  }

  #onText(text: string): void {
    if (this.#leaf === null) return;
    this.#text += text;
    if (this.#text.length > this.#maxTextLength) {
      throw this.#error(`text longer than ${this.#maxTextLength} characters`);
    }
  }

  #open(tag: SaxesTagPlain): void {
    const names = this.#names;
    const depth = names.length;
    if (depth >= this.#maxDepth) {
      throw this.#error(`elements nested deeper than ${this.#maxDepth} levels`);
    }
    const name = localName(tag.name);
    names.push(name);
    if (depth === 0) {
      if (name !== "КоммерческаяИнформация") {
        throw this.#error(`not a CommerceML document: root element is <${tag.name}>`);
      }
      this.#sawRoot = true;
      this.#fileDate = tag.attributes["ДатаФормирования"]?.trim() || null;
      return;
    }
    if (this.#at < 0) {
      if (name !== "Контрагент" || names[depth - 1] !== "Контрагенты") return;
      // The directory sits at the root; buyers sit in a Документ (at the root or in a
      // 3.x Контейнер). Контрагент-typed elements elsewhere (Владелец, …) are not customers.
      const inDocument = depth >= 3 && names[depth - 2] === "Документ";
      if (depth !== 2 && !inDocument) return;
      this.#at = depth;
      this.#draft = {
        line: this.#parser.line,
        source: inDocument ? "document" : "directory",
        fields: {},
        contacts: [],
        representatives: [],
        requisites: {},
        part: null,
      };
      return;
    }
    const path = names.slice(this.#at + 1).join("/");
    if (path === CONTACT || path === REPRESENTATIVE || path === REQUISITE) {
      this.#draft!.part = {};
    } else if (LEAVES.has(path)) {
      this.#leaf = path;
      this.#text = "";
    }
  }

  #close(): void {
    const names = this.#names;
    const depth = names.length - 1;
    if (this.#at >= 0 && depth > this.#at) {
      const draft = this.#draft!;
      const path = names.slice(this.#at + 1).join("/");
      if (this.#leaf === path) {
        const value = this.#text.trim();
        const slash = path.lastIndexOf("/");
        const parent = slash < 0 ? "" : path.slice(0, slash);
        if (parent === CONTACT || parent.startsWith(REPRESENTATIVE) || parent === REQUISITE) {
          if (draft.part !== null) draft.part[path.slice(slash + 1)] = value;
        } else {
          draft.fields[path] = value;
        }
        this.#leaf = null;
      } else if (path === CONTACT) {
        const p = draft.part ?? {};
        if (p["Значение"]) draft.contacts.push({ type: p["Тип"] ?? "", value: p["Значение"] });
        draft.part = null;
      } else if (path === REPRESENTATIVE) {
        const p = draft.part ?? {};
        if (p["Наименование"]) {
          draft.representatives.push({
            relation: p["Отношение"] || null,
            id: p["Ид"] || null,
            name: p["Наименование"],
          });
        }
        draft.part = null;
      } else if (path === REQUISITE) {
        const p = draft.part ?? {};
        if (p["Наименование"]) draft.requisites[p["Наименование"]] = p["Значение"] ?? "";
        draft.part = null;
      }
    } else if (this.#at >= 0 && depth === this.#at) {
      this.#out.push(this.#finish(this.#draft!));
      this.#at = -1;
      this.#draft = null;
    }
    names.pop();
  }

  #finish(d: Draft): CounterpartyItem {
    const f = d.fields;
    const id = f["Ид"] ?? "";
    if (id === "") return { type: "skip", line: d.line, reason: "Контрагент without Ид" };
    const or = (k: string) => (f[k] ? f[k] : null);
    const addresses: CounterpartyRecord["addresses"] = {};
    for (const kind of ["Адрес", "ЮридическийАдрес", "АдресРегистрации"] as const) {
      const text = f[`${kind}/Представление`];
      if (text) addresses[kind] = text;
    }
    return {
      type: "counterparty",
      id,
      version: or("НомерВерсии"),
      deleted: (f["ПометкаУдаления"] ?? "").toLowerCase() === "true",
      name: or("Наименование"),
      officialName: or("ОфициальноеНаименование"),
      fullName: or("ПолноеНаименование"),
      lastName: or("Фамилия"),
      firstName: or("Имя"),
      middleName: or("Отчество"),
      taxId: or("ИНН"),
      kpp: or("КПП"),
      role: or("Роль"),
      addresses,
      contacts: d.contacts,
      representatives: d.representatives,
      requisites: d.requisites,
      source: d.source,
      fileDate: this.#fileDate,
      line: d.line,
    };
  }
}

function localName(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Decodes (UTF-8 or windows-1251, as the prolog says) and yields the counterparties per chunk. */
export async function* readCounterparties(
  source: AsyncIterable<Uint8Array>,
  opts?: CounterpartyReaderOptions,
): AsyncIterable<CounterpartyItem[]> {
  const reader = new CounterpartyReader(opts);
  for await (const text of decodeXml(source)) {
    const items = reader.write(text);
    if (items.length !== 0) yield items;
  }
  const last = reader.close();
  if (last.length !== 0) yield last;
}
