/**
 * Streaming reader of the documents 1C sends to the site (`type=sale&mode=file`): turns
 * `Документ` elements — at the root (2.x) or inside `Контейнер` (3.x: "each order inside
 * `<Контейнер>` together with its payment documents … and shipment documents", spec §6.7) —
 * into plain records. It knows nothing about orders in our database.
 *
 * Same ground rules as the catalog reader (src/commerceml/reader.ts): bytes decoded by
 * src/commerceml/decode.ts (UTF-8 with or without BOM, windows-1251 when declared), saxes
 * without namespaces (local names are matched: 2.08 files use `urn:1C.ru:commerceml_210`,
 * 3.x `urn:1C.ru:commerceml_3`), DOCTYPE refused, depth and text size bounded.
 */
import type { SaxesTagPlain } from "saxes";
import { type CommerceMLSaxes, commerceMLSaxes } from "../commerceml/guarded-saxes.ts";
import { decodeXml } from "../commerceml/decode.ts";
import { CmlError } from "../commerceml/records.ts";

export interface SaleCounterparty {
  id: string | null;
  name: string | null;
  fullName: string | null;
  officialName: string | null;
  role: string | null;
  inn: string | null;
  kpp: string | null;
  lastName: string | null;
  firstName: string | null;
  middleName: string | null;
  contacts: { type: string; value: string }[];
}

export interface SaleDocument {
  /** Index (from 0) of the enclosing Контейнер; null for a document at the root. */
  container: number | null;
  /** Line of the file where the Документ starts (for reports). */
  line: number;
  id: string | null;
  number: string | null;
  /** 1C's own number and date of the document (Номер1С, Дата1С; 2.09+). */
  number1c: string | null;
  date1c: string | null;
  date: string | null;
  time: string | null;
  /** ХозОперация: "Заказ товара", or a payment / shipment inside a Контейнер. */
  operation: string | null;
  /** ПометкаУдаления as an element; 2.x sends it as a requisite instead. */
  deletionMark: boolean | null;
  basis: string | null;
  sum: string | null;
  currency: string | null;
  /** Document-level ЗначенияРеквизитов, name → value (the last one wins). */
  requisites: Record<string, string>;
  /** The counterparty with Роль "Покупатель" (or the only one). */
  buyer: SaleCounterparty | null;
  /** How many Товары/Товар lines the document carries. */
  lineCount: number;
}

export interface SaleReaderOptions {
  maxDepth?: number;
  maxTextLength?: number;
}

const ROOT = "КоммерческаяИнформация";

/** Leaf paths (relative to Документ) whose text we keep. */
const CAPTURED = new Set([
  "Ид",
  "Номер",
  "Номер1С",
  "Дата",
  "Дата1С",
  "Время",
  "ХозОперация",
  "ПометкаУдаления",
  "Основание",
  "Сумма",
  "Валюта",
  "ЗначенияРеквизитов/ЗначениеРеквизита/Наименование",
  "ЗначенияРеквизитов/ЗначениеРеквизита/Значение",
  "Контрагенты/Контрагент/Ид",
  "Контрагенты/Контрагент/Наименование",
  "Контрагенты/Контрагент/ПолноеНаименование",
  "Контрагенты/Контрагент/ОфициальноеНаименование",
  "Контрагенты/Контрагент/Роль",
  "Контрагенты/Контрагент/ИНН",
  "Контрагенты/Контрагент/КПП",
  "Контрагенты/Контрагент/Фамилия",
  "Контрагенты/Контрагент/Имя",
  "Контрагенты/Контрагент/Отчество",
  "Контрагенты/Контрагент/Контакты/Контакт/Тип",
  "Контрагенты/Контрагент/Контакты/Контакт/Значение",
]);

const localName = (name: string) => {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
};

export function parseFlag(value: string | null | undefined): boolean | null {
  const v = value?.trim().toLowerCase();
  if (v === "true" || v === "1" || v === "да" || v === "истина") return true;
  if (v === "false" || v === "0" || v === "нет" || v === "ложь") return false;
  return null;
}

const orNull = (s: string): string | null => {
  const t = s.trim();
  return t === "" ? null : t;
};

function emptyCounterparty(): SaleCounterparty {
  return {
    id: null,
    name: null,
    fullName: null,
    officialName: null,
    role: null,
    inn: null,
    kpp: null,
    lastName: null,
    firstName: null,
    middleName: null,
    contacts: [],
  };
}

/** Push-style: `write` decoded text, get back the documents it completed; then `close`. */
export class SaleDocumentReader {
  readonly #parser: CommerceMLSaxes;
  readonly #maxDepth: number;
  readonly #maxText: number;
  #names: string[] = [];
  #out: SaleDocument[] = [];
  #sawRoot = false;
  #containers = 0;
  #inContainer = false;
  /** Index in #names of the open Документ, -1 outside one. */
  #docAt = -1;
  #doc: SaleDocument | null = null;
  #capture: string | null = null;
  #text = "";
  #reqName = "";
  #reqValue = "";
  #party: SaleCounterparty | null = null;
  #contactType = "";
  #contactValue = "";
  /** Root-level sections we do not read, counted for the report (e.g. Контрагенты). */
  readonly skippedSections: Record<string, number> = {};
  schemaVersion: string | null = null;

  constructor(opts: SaleReaderOptions = {}) {
    this.#maxDepth = opts.maxDepth ?? 64;
    this.#maxText = opts.maxTextLength ?? 1024 * 1024;
    const parser = commerceMLSaxes({
      open: (tag) => this.#open(tag),
      close: () => this.#close(),
      text: (t) => this.#onText(t),
      error: (message) => this.#error(message),
    });
    this.#parser = parser;
  }

  write(text: string): SaleDocument[] {
    try {
      this.#parser.write(text);
    } catch (e) {
      throw e instanceof CmlError ? e : this.#error((e as Error).message);
    }
    return this.#take();
  }

  close(): SaleDocument[] {
    if (this.#names.length > 0) {
      throw this.#error(`unexpected end of file (unclosed <${this.#names.at(-1)}>)`);
    }
    if (!this.#sawRoot) throw this.#error("unexpected end of file (no root element)");
    this.#parser.close();
    return this.#take();
  }

  #take(): SaleDocument[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #error(message: string): CmlError {
    return new CmlError(message, this.#parser.line, this.#parser.column);
  }

  #onText(text: string) {
    if (this.#capture === null) return;
    this.#text += text;
    if (this.#text.length > this.#maxText) {
      throw this.#error(`text longer than ${this.#maxText} characters`);
    }
  }

  #open(tag: SaxesTagPlain) {
    const name = localName(tag.name);
    const depth = this.#names.length;
    if (depth >= this.#maxDepth) {
      throw this.#error(`elements nested deeper than ${this.#maxDepth} levels`);
    }
    this.#names.push(name);
    if (depth === 0) {
      if (name !== ROOT) throw this.#error(`not a CommerceML document: root element is <${name}>`);
      this.#sawRoot = true;
      this.schemaVersion = tag.attributes["ВерсияСхемы"]?.trim() || null;
      return;
    }
    if (this.#doc === null) {
      if (depth === 1 && name === "Контейнер") this.#inContainer = true;
      else if (name === "Документ" && (depth === 1 || (depth === 2 && this.#inContainer))) {
        this.#docAt = depth;
        this.#doc = {
          container: this.#inContainer ? this.#containers : null,
          line: this.#parser.line,
          id: null,
          number: null,
          number1c: null,
          date1c: null,
          date: null,
          time: null,
          operation: null,
          deletionMark: null,
          basis: null,
          sum: null,
          currency: null,
          requisites: {},
          buyer: null,
          lineCount: 0,
        };
      } else if (depth === 1) {
        this.skippedSections[name] = (this.skippedSections[name] ?? 0) + 1;
      }
      return;
    }
    const rel = this.#names.slice(this.#docAt + 1).join("/");
    if (rel === "Контрагенты/Контрагент") this.#party = emptyCounterparty();
    else if (rel === "Товары/Товар") this.#doc.lineCount++;
    if (CAPTURED.has(rel)) {
      this.#capture = rel;
      this.#text = "";
    }
  }

  #close() {
    const depth = this.#names.length - 1;
    const name = this.#names[depth];
    const doc = this.#doc;
    if (doc !== null && depth > this.#docAt) {
      const rel = this.#names.slice(this.#docAt + 1).join("/");
      if (this.#capture === rel) this.#assign(doc, rel, this.#text);
      this.#capture = null;
      if (rel === "ЗначенияРеквизитов/ЗначениеРеквизита") {
        const key = this.#reqName.trim();
        if (key !== "") doc.requisites[key] = this.#reqValue.trim();
        this.#reqName = this.#reqValue = "";
      } else if (rel === "Контрагенты/Контрагент/Контакты/Контакт") {
        if (this.#party && this.#contactValue.trim() !== "") {
          this.#party.contacts.push({
            type: this.#contactType.trim(),
            value: this.#contactValue.trim(),
          });
        }
        this.#contactType = this.#contactValue = "";
      } else if (rel === "Контрагенты/Контрагент" && this.#party) {
        // The buyer is the counterparty whose Роль says so; a lone counterparty without a
        // role (2.03 files) is the buyer too.
        const isBuyer = this.#party.role === "Покупатель";
        if (isBuyer || (doc.buyer === null && this.#party.role === null)) doc.buyer = this.#party;
        this.#party = null;
      }
    } else if (doc !== null && depth === this.#docAt) {
      this.#out.push(doc);
      this.#doc = null;
      this.#docAt = -1;
    } else if (depth === 1 && name === "Контейнер") {
      this.#inContainer = false;
      this.#containers++;
    }
    this.#names.pop();
  }

  #assign(doc: SaleDocument, rel: string, raw: string) {
    const value = orNull(raw);
    const party = this.#party;
    switch (rel) {
      case "Ид":
        doc.id = value;
        return;
      case "Номер":
        doc.number = value;
        return;
      case "Номер1С":
        doc.number1c = value;
        return;
      case "Дата":
        doc.date = value;
        return;
      case "Дата1С":
        doc.date1c = value;
        return;
      case "Время":
        doc.time = value;
        return;
      case "ХозОперация":
        doc.operation = value;
        return;
      case "ПометкаУдаления":
        doc.deletionMark = parseFlag(value);
        return;
      case "Основание":
        doc.basis = value;
        return;
      case "Сумма":
        doc.sum = value;
        return;
      case "Валюта":
        doc.currency = value;
        return;
      case "ЗначенияРеквизитов/ЗначениеРеквизита/Наименование":
        this.#reqName = raw;
        return;
      case "ЗначенияРеквизитов/ЗначениеРеквизита/Значение":
        this.#reqValue = raw;
        return;
      case "Контрагенты/Контрагент/Контакты/Контакт/Тип":
        this.#contactType = raw;
        return;
      case "Контрагенты/Контрагент/Контакты/Контакт/Значение":
        this.#contactValue = raw;
        return;
    }
    if (!party) return;
    const field = COUNTERPARTY_FIELDS[rel.slice("Контрагенты/Контрагент/".length)];
    if (field) party[field] = value;
  }
}

const COUNTERPARTY_FIELDS: Record<string, Exclude<keyof SaleCounterparty, "contacts">> = {
  "Ид": "id",
  "Наименование": "name",
  "ПолноеНаименование": "fullName",
  "ОфициальноеНаименование": "officialName",
  "Роль": "role",
  "ИНН": "inn",
  "КПП": "kpp",
  "Фамилия": "lastName",
  "Имя": "firstName",
  "Отчество": "middleName",
};

/** Reads a whole file as a stream of document batches (one per decoded chunk). */
export async function* readSaleDocuments(
  source: AsyncIterable<Uint8Array>,
  reader = new SaleDocumentReader(),
): AsyncIterable<SaleDocument[]> {
  for await (const text of decodeXml(source)) {
    const docs = reader.write(text);
    if (docs.length > 0) yield docs;
  }
  const last = reader.close();
  if (last.length > 0) yield last;
}
