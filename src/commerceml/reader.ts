/**
 * Streaming CommerceML reader: a push-style state machine over saxes events that turns
 * import.xml / offers.xml / rests / prices (2.03–2.10, 3.x) into typed records.
 *
 * Hot path for files of hundreds of MB, so: element names map to small integers once per tag,
 * the position in the document is a stack of integer contexts (no path strings), text is only
 * collected inside the leaf elements we read, and a record object is built once, when its
 * element closes.
 */
import type { SaxesTagPlain } from "saxes";
import { type CommerceMLSaxes, commerceMLSaxes, withoutPosition } from "./guarded-saxes.ts";
import {
  CmlError,
  type CmlRecord,
  type HeaderRecord,
  type OfferRecord,
  type PriceRecord,
  type ProductRecord,
  type PropertyValue,
  type StockRecord,
} from "./records.ts";
import { decodeXml } from "./decode.ts";

export interface ReaderOptions {
  /** Deepest element nesting accepted (real files stay under 15). Default 64. */
  maxDepth?: number;
  /** Longest text accepted in one text node, attribute value or comment. Default 16 MiB. */
  maxTextLength?: number;
}

// ---- Element names (local names; a `prefix:` is stripped) ----------------------------------

const N_OTHER = 0;
const ELEMENT_NAMES = [
  "",
  "КоммерческаяИнформация",
  "Классификатор",
  "Каталог",
  "ПакетПредложений",
  "ИзмененияПакетаПредложений",
  "Контрагенты",
  "Документ",
  "Контейнер",
  "СодержитТолькоИзменения",
  "Группы",
  "Группа",
  "Ид",
  "Наименование",
  "ПометкаУдаления",
  "Свойства",
  "Свойство",
  "СвойствоНоменклатуры",
  "ТипЗначений",
  "ВариантыЗначений",
  "Справочник",
  "ИдЗначения",
  "Значение",
  "ДляПредложений",
  "ТипыЦен",
  "ТипЦены",
  "Валюта",
  "Склады",
  "Склад",
  "ЕдиницыИзмерения",
  "ЕдиницаИзмерения",
  "Код",
  "НаименованиеКраткое",
  "НаименованиеПолное",
  "МеждународноеСокращение",
  "Товары",
  "Товар",
  "Статус",
  "Штрихкод",
  "ШтрихКод",
  "Артикул",
  "Описание",
  "БазоваяЕдиница",
  "Картинка",
  "Изготовитель",
  "ЗначенияСвойств",
  "ЗначенияСвойства",
  "ЗначенияРеквизитов",
  "ЗначениеРеквизита",
  "СтавкиНалогов",
  "СтавкаНалога",
  "Ставка",
  "ХарактеристикиТовара",
  "ХарактеристикаТовара",
  "НомерВерсии",
  "Предложения",
  "Предложение",
  "Цены",
  "Цена",
  "ИдТипаЦены",
  "ЦенаЗаЕдиницу",
  "Единица",
  "Остатки",
  "Остаток",
  "Количество",
] as const;
type ElementName = (typeof ELEMENT_NAMES)[number];
const NAME_CODES = new Map<string, number>(ELEMENT_NAMES.map((name, i) => [name, i]));
const code = (name: ElementName): number => NAME_CODES.get(name)!;

const N_ROOT = code("КоммерческаяИнформация");
const N_CLASSIFIER = code("Классификатор");
const N_CATALOG = code("Каталог");
const N_PACKAGE = code("ПакетПредложений");
const N_PACKAGE_CHANGES = code("ИзмененияПакетаПредложений");
const N_COUNTERPARTIES = code("Контрагенты");
const N_DOCUMENT = code("Документ");
const N_CONTAINER = code("Контейнер");
const N_CHANGES_ONLY = code("СодержитТолькоИзменения");
const N_GROUPS = code("Группы");
const N_GROUP = code("Группа");
const N_ID = code("Ид");
const N_NAME = code("Наименование");
const N_DELETION_MARK = code("ПометкаУдаления");
const N_PROPERTIES = code("Свойства");
const N_PROPERTY = code("Свойство");
const N_PROPERTY_204 = code("СвойствоНоменклатуры");
const N_VALUE_TYPE = code("ТипЗначений");
const N_VARIANTS = code("ВариантыЗначений");
const N_DICTIONARY = code("Справочник");
const N_VALUE_ID = code("ИдЗначения");
const N_VALUE = code("Значение");
const N_FOR_OFFERS = code("ДляПредложений");
const N_PRICE_TYPES = code("ТипыЦен");
const N_PRICE_TYPE = code("ТипЦены");
const N_CURRENCY = code("Валюта");
const N_WAREHOUSES = code("Склады");
const N_WAREHOUSE = code("Склад");
const N_UNITS = code("ЕдиницыИзмерения");
const N_UNIT = code("ЕдиницаИзмерения");
const N_CODE = code("Код");
const N_SHORT_NAME = code("НаименованиеКраткое");
const N_FULL_NAME = code("НаименованиеПолное");
const N_INTERNATIONAL = code("МеждународноеСокращение");
const N_PRODUCTS = code("Товары");
const N_PRODUCT = code("Товар");
const N_STATUS = code("Статус");
const N_BARCODE = code("Штрихкод");
const N_BARCODE_ALT = code("ШтрихКод");
const N_SKU = code("Артикул");
const N_DESCRIPTION = code("Описание");
const N_BASE_UNIT = code("БазоваяЕдиница");
const N_IMAGE = code("Картинка");
const N_MANUFACTURER = code("Изготовитель");
const N_PROPERTY_VALUES = code("ЗначенияСвойств");
const N_PROPERTY_VALUE = code("ЗначенияСвойства");
const N_REQUISITES = code("ЗначенияРеквизитов");
const N_REQUISITE = code("ЗначениеРеквизита");
const N_TAX_RATES = code("СтавкиНалогов");
const N_TAX_RATE = code("СтавкаНалога");
const N_RATE = code("Ставка");
const N_CHARACTERISTICS = code("ХарактеристикиТовара");
const N_CHARACTERISTIC = code("ХарактеристикаТовара");
const N_VERSION = code("НомерВерсии");
const N_OFFERS = code("Предложения");
const N_OFFER = code("Предложение");
const N_PRICES = code("Цены");
const N_PRICE = code("Цена");
const N_PRICE_TYPE_ID = code("ИдТипаЦены");
const N_PRICE_VALUE = code("ЦенаЗаЕдиницу");
const N_PRICE_UNIT = code("Единица");
const N_RESTS = code("Остатки");
const N_REST = code("Остаток");
const N_QUANTITY = code("Количество");

// Every tag name saxes hands us is a fresh string, so Map.get would hash it each time (~10 % of
// the reader's time). Instead: a small open table keyed by length and two characters, then one
// string comparison.
const TABLE_BITS = 10;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const nameSlot = (name: string): number => {
  const len = name.length;
  return (len * 31 + name.charCodeAt(len - 1) * 7 + name.charCodeAt(len >> 1)) & TABLE_MASK;
};
const TABLE_NAMES: (string | undefined)[] = new Array(TABLE_MASK + 1).fill(undefined);
const TABLE_CODES = new Int32Array(TABLE_MASK + 1);
for (let i = 1; i < ELEMENT_NAMES.length; i++) {
  let slot = nameSlot(ELEMENT_NAMES[i]);
  while (TABLE_NAMES[slot] !== undefined) slot = (slot + 1) & TABLE_MASK; // linear probing
  TABLE_NAMES[slot] = ELEMENT_NAMES[i];
  TABLE_CODES[slot] = i;
}

function lookupName(name: string): number {
  if (name.length === 0) return N_OTHER;
  let slot = nameSlot(name);
  for (;;) {
    const candidate = TABLE_NAMES[slot];
    if (candidate === undefined) return N_OTHER;
    if (candidate === name) return TABLE_CODES[slot];
    slot = (slot + 1) & TABLE_MASK;
  }
}

function nameCode(name: string): number {
  const c = lookupName(name);
  if (c !== N_OTHER) return c;
  const colon = name.indexOf(":");
  return colon < 0 ? N_OTHER : lookupName(name.slice(colon + 1));
}

// ---- Contexts: what an element means where it stands -----------------------------------------
// Every open element gets one context; unknown subtrees are X_SKIP all the way down.

let nextContext = 0;
const ctx = (): number => nextContext++;
const X_SKIP = ctx();
const X_DOCUMENT_START = ctx(); // before the root element
const X_ROOT = ctx();
const X_CLASSIFIER = ctx();
const X_CATALOG = ctx();
const X_PACKAGE = ctx();
const X_CONTAINER = ctx();
const X_CHANGES_ONLY = ctx(); // <СодержитТолькоИзменения> as a child element
// Классификатор
const X_GROUPS = ctx();
const X_GROUP = ctx();
const X_GROUP_ID = ctx();
const X_GROUP_NAME = ctx();
const X_GROUP_DELETED = ctx();
const X_PROPERTIES = ctx();
const X_PROPERTY = ctx();
const X_PROPERTY_ID = ctx();
const X_PROPERTY_NAME = ctx();
const X_PROPERTY_TYPE = ctx();
const X_PROPERTY_DELETED = ctx();
const X_PROPERTY_FOR_OFFERS = ctx();
const X_VARIANTS = ctx();
const X_VARIANT_DICT = ctx();
const X_VARIANT_DICT_ID = ctx();
const X_VARIANT_DICT_VALUE = ctx();
const X_VARIANT_PLAIN = ctx();
const X_PRICE_TYPES = ctx();
const X_PRICE_TYPE = ctx();
const X_PRICE_TYPE_ID = ctx();
const X_PRICE_TYPE_NAME = ctx();
const X_PRICE_TYPE_CURRENCY = ctx();
const X_WAREHOUSES = ctx();
const X_WAREHOUSE = ctx();
const X_WAREHOUSE_ID = ctx();
const X_WAREHOUSE_NAME = ctx();
const X_UNITS = ctx();
const X_UNIT = ctx();
const X_UNIT_ID = ctx();
const X_UNIT_CODE = ctx();
const X_UNIT_NAME = ctx();
const X_UNIT_FULL_NAME = ctx();
const X_UNIT_INTERNATIONAL = ctx();
// Товар and Предложение (shared "item" fields)
const X_PRODUCTS = ctx();
const X_PRODUCT = ctx();
const X_OFFERS = ctx();
const X_OFFER = ctx();
const X_ITEM_ID = ctx();
const X_ITEM_NAME = ctx();
const X_ITEM_SKU = ctx();
const X_ITEM_BARCODE = ctx();
const X_ITEM_DELETED = ctx();
const X_ITEM_STATUS = ctx();
const X_ITEM_VERSION = ctx();
const X_ITEM_DESCRIPTION = ctx();
const X_ITEM_BASE_UNIT = ctx();
const X_ITEM_IMAGE = ctx();
const X_ITEM_GROUPS = ctx();
const X_ITEM_GROUP_ID = ctx();
const X_ITEM_MANUFACTURER = ctx();
const X_ITEM_MANUFACTURER_NAME = ctx();
const X_PVALUES = ctx();
const X_PVALUE = ctx();
const X_PVALUE_ID = ctx();
const X_PVALUE_VALUE = ctx();
const X_REQUISITES = ctx();
const X_REQUISITE = ctx();
const X_REQUISITE_NAME = ctx();
const X_REQUISITE_VALUE = ctx();
const X_TAXES = ctx();
const X_TAX = ctx();
const X_TAX_NAME = ctx();
const X_TAX_RATE = ctx();
const X_CHARS = ctx();
const X_CHAR = ctx();
const X_CHAR_NAME = ctx();
const X_CHAR_VALUE = ctx();
// Предложение only
const X_OFFER_QUANTITY = ctx();
const X_OFFER_STOCK_ATTR = ctx(); // <Склад ИдСклада="…" КоличествоНаСкладе="…"/>
const X_PRICES = ctx();
const X_PRICE = ctx();
const X_PRICE_TYPE_REF = ctx();
const X_PRICE_VALUE = ctx();
const X_PRICE_CURRENCY = ctx();
const X_PRICE_UNIT = ctx();
const X_RESTS = ctx();
const X_REST = ctx();
const X_REST_QUANTITY = ctx(); // warehouse-less Остаток/Количество
const X_REST_WAREHOUSE = ctx();
const X_REST_WAREHOUSE_ID = ctx();
const X_REST_WAREHOUSE_QUANTITY = ctx();

/** Contexts whose text content we collect. Everything else drops text without looking at it. */
const CAPTURES = new Uint8Array(nextContext);
for (
  const x of [
    X_CHANGES_ONLY,
    X_GROUP_ID,
    X_GROUP_NAME,
    X_GROUP_DELETED,
    X_PROPERTY_ID,
    X_PROPERTY_NAME,
    X_PROPERTY_TYPE,
    X_PROPERTY_DELETED,
    X_PROPERTY_FOR_OFFERS,
    X_VARIANT_DICT_ID,
    X_VARIANT_DICT_VALUE,
    X_VARIANT_PLAIN,
    X_PRICE_TYPE_ID,
    X_PRICE_TYPE_NAME,
    X_PRICE_TYPE_CURRENCY,
    X_WAREHOUSE_ID,
    X_WAREHOUSE_NAME,
    X_UNIT_ID,
    X_UNIT_CODE,
    X_UNIT_NAME,
    X_UNIT_FULL_NAME,
    X_UNIT_INTERNATIONAL,
    X_ITEM_ID,
    X_ITEM_NAME,
    X_ITEM_SKU,
    X_ITEM_BARCODE,
    X_ITEM_DELETED,
    X_ITEM_STATUS,
    X_ITEM_VERSION,
    X_ITEM_DESCRIPTION,
    X_ITEM_BASE_UNIT,
    X_ITEM_IMAGE,
    X_ITEM_GROUP_ID,
    X_ITEM_MANUFACTURER_NAME,
    X_PVALUE_ID,
    X_PVALUE_VALUE,
    X_REQUISITE_NAME,
    X_REQUISITE_VALUE,
    X_TAX_NAME,
    X_TAX_RATE,
    X_CHAR_NAME,
    X_CHAR_VALUE,
    X_OFFER_QUANTITY,
    X_PRICE_TYPE_REF,
    X_PRICE_VALUE,
    X_PRICE_CURRENCY,
    X_PRICE_UNIT,
    X_REST_QUANTITY,
    X_REST_WAREHOUSE_ID,
    X_REST_WAREHOUSE_QUANTITY,
  ]
) CAPTURES[x] = 1;

/** The context of element `el` opened inside context `parent`. */
function childContext(parent: number, el: number): number {
  switch (parent) {
    case X_SKIP:
      return X_SKIP;
    case X_ROOT:
      if (el === N_CLASSIFIER) return X_CLASSIFIER;
      if (el === N_CATALOG) return X_CATALOG;
      if (el === N_PACKAGE || el === N_PACKAGE_CHANGES) return X_PACKAGE;
      if (el === N_CONTAINER) return X_CONTAINER;
      return X_SKIP; // Контрагенты and Документ are handled (header only) by the caller
    case X_CLASSIFIER:
      if (el === N_GROUPS) return X_GROUPS;
      if (el === N_PROPERTIES) return X_PROPERTIES;
      if (el === N_PRICE_TYPES) return X_PRICE_TYPES;
      if (el === N_WAREHOUSES) return X_WAREHOUSES;
      if (el === N_UNITS) return X_UNITS;
      if (el === N_CHANGES_ONLY) return X_CHANGES_ONLY;
      return X_SKIP;
    case X_CATALOG:
      if (el === N_PRODUCTS) return X_PRODUCTS;
      if (el === N_CHANGES_ONLY) return X_CHANGES_ONLY;
      return X_SKIP;
    case X_PACKAGE:
      if (el === N_OFFERS) return X_OFFERS;
      if (el === N_PRICE_TYPES) return X_PRICE_TYPES; // 2.x: price types live in offers.xml
      if (el === N_WAREHOUSES) return X_WAREHOUSES;
      if (el === N_CHANGES_ONLY) return X_CHANGES_ONLY;
      return X_SKIP;

    case X_GROUPS:
      return el === N_GROUP ? X_GROUP : X_SKIP;
    case X_GROUP:
      if (el === N_ID) return X_GROUP_ID;
      if (el === N_NAME) return X_GROUP_NAME;
      if (el === N_DELETION_MARK) return X_GROUP_DELETED;
      if (el === N_GROUPS) return X_GROUPS;
      return X_SKIP;
    case X_PROPERTIES:
      // 2.04 official samples call it СвойствоНоменклатуры.
      return el === N_PROPERTY || el === N_PROPERTY_204 ? X_PROPERTY : X_SKIP;
    case X_PROPERTY:
      if (el === N_ID) return X_PROPERTY_ID;
      if (el === N_NAME) return X_PROPERTY_NAME;
      if (el === N_VALUE_TYPE) return X_PROPERTY_TYPE;
      if (el === N_DELETION_MARK) return X_PROPERTY_DELETED;
      if (el === N_FOR_OFFERS) return X_PROPERTY_FOR_OFFERS;
      if (el === N_VARIANTS) return X_VARIANTS;
      return X_SKIP;
    case X_VARIANTS:
      if (el === N_DICTIONARY) return X_VARIANT_DICT;
      if (el === N_VALUE) return X_VARIANT_PLAIN;
      return X_SKIP;
    case X_VARIANT_DICT:
      if (el === N_VALUE_ID) return X_VARIANT_DICT_ID;
      if (el === N_VALUE) return X_VARIANT_DICT_VALUE;
      return X_SKIP;
    case X_PRICE_TYPES:
      return el === N_PRICE_TYPE ? X_PRICE_TYPE : X_SKIP;
    case X_PRICE_TYPE:
      if (el === N_ID) return X_PRICE_TYPE_ID;
      if (el === N_NAME) return X_PRICE_TYPE_NAME;
      if (el === N_CURRENCY) return X_PRICE_TYPE_CURRENCY;
      return X_SKIP;
    case X_WAREHOUSES:
      return el === N_WAREHOUSE ? X_WAREHOUSE : X_SKIP;
    case X_WAREHOUSE:
      if (el === N_ID) return X_WAREHOUSE_ID;
      if (el === N_NAME) return X_WAREHOUSE_NAME;
      return X_SKIP;
    case X_UNITS:
      return el === N_UNIT ? X_UNIT : X_SKIP;
    case X_UNIT:
      if (el === N_CODE) return X_UNIT_CODE;
      if (el === N_ID) return X_UNIT_ID;
      if (el === N_SHORT_NAME) return X_UNIT_NAME;
      if (el === N_FULL_NAME) return X_UNIT_FULL_NAME;
      if (el === N_INTERNATIONAL) return X_UNIT_INTERNATIONAL;
      return X_SKIP;

    case X_PRODUCTS:
      return el === N_PRODUCT ? X_PRODUCT : X_SKIP;
    case X_OFFERS:
      return el === N_OFFER ? X_OFFER : X_SKIP;
    case X_PRODUCT:
      switch (el) {
        case N_DESCRIPTION:
          return X_ITEM_DESCRIPTION;
        case N_BASE_UNIT:
          return X_ITEM_BASE_UNIT;
        case N_IMAGE:
          return X_ITEM_IMAGE;
        case N_GROUPS:
          return X_ITEM_GROUPS;
        case N_MANUFACTURER:
          return X_ITEM_MANUFACTURER;
        case N_REQUISITES:
          return X_REQUISITES;
        case N_TAX_RATES:
          return X_TAXES;
        case N_VERSION:
          return X_ITEM_VERSION;
      }
      return itemContext(el);
    case X_OFFER:
      switch (el) {
        case N_PRICES:
          return X_PRICES;
        case N_QUANTITY:
          return X_OFFER_QUANTITY;
        case N_RESTS:
          return X_RESTS;
        case N_WAREHOUSE:
          return X_OFFER_STOCK_ATTR;
      }
      return itemContext(el);
    case X_ITEM_GROUPS:
      return el === N_ID ? X_ITEM_GROUP_ID : X_SKIP;
    case X_ITEM_MANUFACTURER:
      return el === N_NAME ? X_ITEM_MANUFACTURER_NAME : X_SKIP;
    case X_PVALUES:
      return el === N_PROPERTY_VALUE ? X_PVALUE : X_SKIP;
    case X_PVALUE:
      if (el === N_ID) return X_PVALUE_ID;
      if (el === N_VALUE) return X_PVALUE_VALUE;
      return X_SKIP;
    case X_REQUISITES:
      return el === N_REQUISITE ? X_REQUISITE : X_SKIP;
    case X_REQUISITE:
      if (el === N_NAME) return X_REQUISITE_NAME;
      if (el === N_VALUE) return X_REQUISITE_VALUE;
      return X_SKIP;
    case X_TAXES:
      return el === N_TAX_RATE ? X_TAX : X_SKIP;
    case X_TAX:
      if (el === N_NAME) return X_TAX_NAME;
      if (el === N_RATE) return X_TAX_RATE;
      return X_SKIP;
    case X_CHARS:
      return el === N_CHARACTERISTIC ? X_CHAR : X_SKIP;
    case X_CHAR:
      if (el === N_NAME) return X_CHAR_NAME;
      if (el === N_VALUE) return X_CHAR_VALUE;
      return X_SKIP;
    case X_PRICES:
      return el === N_PRICE ? X_PRICE : X_SKIP;
    case X_PRICE:
      if (el === N_PRICE_TYPE_ID) return X_PRICE_TYPE_REF;
      if (el === N_PRICE_VALUE) return X_PRICE_VALUE;
      if (el === N_CURRENCY) return X_PRICE_CURRENCY;
      if (el === N_PRICE_UNIT) return X_PRICE_UNIT;
      return X_SKIP;
    case X_RESTS:
      return el === N_REST ? X_REST : X_SKIP;
    case X_REST:
      if (el === N_WAREHOUSE) return X_REST_WAREHOUSE;
      if (el === N_QUANTITY) return X_REST_QUANTITY;
      return X_SKIP;
    case X_REST_WAREHOUSE:
      if (el === N_ID) return X_REST_WAREHOUSE_ID;
      if (el === N_QUANTITY) return X_REST_WAREHOUSE_QUANTITY;
      return X_SKIP;
  }
  return X_SKIP; // leaf contexts: nested markup inside a value is ignored
}

/** Children common to Товар and Предложение. */
function itemContext(el: number): number {
  switch (el) {
    case N_ID:
      return X_ITEM_ID;
    case N_NAME:
      return X_ITEM_NAME;
    case N_SKU:
      return X_ITEM_SKU;
    case N_BARCODE:
    case N_BARCODE_ALT:
      return X_ITEM_BARCODE;
    case N_DELETION_MARK:
      return X_ITEM_DELETED;
    case N_STATUS:
      return X_ITEM_STATUS;
    case N_PROPERTY_VALUES:
      return X_PVALUES;
    case N_CHARACTERISTICS:
      return X_CHARS;
  }
  return X_SKIP;
}

// ---- Small value helpers -------------------------------------------------------------------

const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPACES = /\s/g; // \s covers NBSP and the thin spaces 1C puts in presentations

/** "296.4", "1 042,66", "30,5" → number; null when it is not a number. */
export function parseCmlNumber(raw: string): number | null {
  let s = raw.trim();
  if (!PLAIN_NUMBER.test(s)) {
    s = s.replace(SPACES, "").replace(",", ".");
    if (!PLAIN_NUMBER.test(s)) return null;
  }
  return Number(s);
}

/** "true"/"false" (any case) or an integer (non-zero = true, as Bitrix reads it); else null. */
function parseFlag(raw: string): boolean | null {
  const s = raw.trim().toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  if (/^[+-]?\d+$/.test(s)) return Number(s) !== 0;
  return null;
}

const isDeletedStatus = (s: string): boolean => s === "Удален" || s === "удален";
const orNull = (s: string): string | null => (s === "" ? null : s);

// ---- Group tree bookkeeping -----------------------------------------------------------------

const GROUP_OPEN = 0;
const GROUP_QUEUED = 1; // waiting for its parent to be emitted
const GROUP_EMITTED = 2;

interface GroupFrame {
  id: string | null;
  name: string | null;
  deleted: boolean;
  position: number;
  parent: GroupFrame | null;
  state: number;
  /** Children that became ready before this group could be emitted (its Ид came late). */
  waiting: GroupFrame[] | null;
}

interface SectionHeader {
  section: HeaderRecord["section"];
  changesOnly: boolean | null;
}

type SaxesInternals = { text?: unknown; name?: unknown; entity?: unknown };

/**
 * Push-style reader: feed decoded text with `write`, get back the records each chunk completed;
 * `close` checks the document ended properly. Not reusable after an error or after close.
 */
export class CommerceMLReader {
  readonly #maxDepth: number;
  readonly #maxTextLength: number;
  readonly #parser: CommerceMLSaxes;
  #out: CmlRecord[] = [];
  #failure: CmlError | null = null;

  // Element stack: a context and the element's name per level.
  #contexts: Int32Array;
  #names: string[] = [];
  #depth = 0;
  #capturing = false;
  #text = "";
  #lastClosed = "";
  #sawRoot = false;

  // Document / section state
  #schemaVersion: string | null = null;
  #pendingHeader: SectionHeader | null = null;

  // Классификатор state
  #group: GroupFrame | null = null;
  #groupPositions: number[] = [];
  #id = "";
  #name = "";
  #forOffers = false;
  #entryDeleted = false;
  #valueType: string | null = null;
  #values: Record<string, string> = {};
  #valueId = "";
  #value = "";
  #codeOrCurrency: string | null = null;
  #fullName: string | null = null;
  #international: string | null = null;

  // Товар / Предложение state
  #itemKind = "";
  #itemId = "";
  #itemName = "";
  #sku: string | null = null;
  #barcode: string | null = null;
  #deleted = false;
  #version: string | null = null;
  #description: string | null = null;
  #baseUnit: string | null = null;
  #manufacturer: string | null = null;
  #groupIds: string[] | null = null;
  #images: string[] | null = null;
  #propertyValues: PropertyValue[] | null = null;
  #currentValues: string[] | null = null;
  #requisites: Record<string, string> | null = null;
  #taxRates: { name: string; rate: string }[] | null = null;
  #characteristics: Record<string, string> | null = null;
  #prices: PriceRecord[] | null = null;
  #stocks: StockRecord[] | null = null;
  #quantity: number | null = null;
  // Цена / Остаток fields
  #priceType = "";
  #priceValue = "";
  #priceCurrency: string | null = null;
  #priceUnit: string | null = null;
  #stockId = "";
  #stockQuantity = "";
  #hasStockQuantity = false;

  constructor(opts: ReaderOptions = {}) {
    this.#maxDepth = opts.maxDepth ?? 64;
    this.#maxTextLength = opts.maxTextLength ?? 16 * 1024 * 1024;
    this.#contexts = new Int32Array(this.#maxDepth + 2);
    this.#contexts[0] = X_DOCUMENT_START;
    const parser = commerceMLSaxes({
      open: (tag) => this.#open(tag),
      close: () => this.#close(),
      text: (text) => this.#onText(text),
      error: (message) => this.#error(message),
      describe: (message) => saxesMessage(message, this.#lastClosed),
    });
    this.#parser = parser;
  }

  /** Parses the next piece of text; returns the records it completed. */
  write(text: string): CmlRecord[] {
    if (this.#failure !== null) throw this.#failure;
    try {
      this.#parser.write(text);
      this.#checkPending();
    } catch (err) {
      throw this.#fail(err);
    }
    return this.#take();
  }

  /** Ends the document; throws if it was truncated. Returns the last records. */
  close(): CmlRecord[] {
    if (this.#failure !== null) throw this.#failure;
    try {
      if (this.#depth > 0) {
        throw this.#error(
          `unexpected end of file (unclosed <${localName(this.#names[this.#depth - 1])}>)`,
        );
      }
      if (!this.#sawRoot) throw this.#error("unexpected end of file (no root element)");
      this.#parser.close();
    } catch (err) {
      throw this.#fail(err);
    }
    return this.#take();
  }

  #take(): CmlRecord[] {
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

  /**
   * saxes buffers an unfinished text node, attribute value, name or entity across chunks and
   * only reports it once complete, so the length limit is enforced on its buffers after every
   * chunk (they are private fields of saxes 6; skipped if a future version renames them).
   */
  #checkPending(): void {
    const p = this.#parser as unknown as SaxesInternals;
    const max = this.#maxTextLength;
    if (
      (typeof p.text === "string" && p.text.length > max) ||
      (typeof p.name === "string" && p.name.length > max) ||
      (typeof p.entity === "string" && p.entity.length > max)
    ) {
      throw this.#error(`text longer than ${max} characters`);
    }
  }

  #emit(record: CmlRecord): void {
    if (this.#pendingHeader !== null) this.#flushHeader();
    this.#out.push(record);
  }

  #flushHeader(): void {
    const h = this.#pendingHeader!;
    this.#pendingHeader = null;
    this.#out.push({
      type: "header",
      schemaVersion: this.#schemaVersion,
      section: h.section,
      changesOnly: h.changesOnly,
    });
  }

  /** A section opened: emit its header now, or once we know СодержитТолькоИзменения. */
  #openSection(section: HeaderRecord["section"], tag: SaxesTagPlain, deferrable: boolean): void {
    const attr = tag.attributes["СодержитТолькоИзменения"];
    const header: SectionHeader = {
      section,
      changesOnly: attr === undefined ? null : parseFlag(attr),
    };
    this.#pendingHeader = header;
    if (attr !== undefined || !deferrable) this.#flushHeader();
  }

  #onText(text: string): void {
    if (this.#capturing) {
      const t = this.#text;
      this.#text = t.length === 0 ? text : t + text;
      if (this.#text.length > this.#maxTextLength) {
        throw this.#error(`text longer than ${this.#maxTextLength} characters`);
      }
    }
  }

  #open(tag: SaxesTagPlain): void {
    const depth = this.#depth;
    if (depth >= this.#maxDepth) {
      throw this.#error(`elements nested deeper than ${this.#maxDepth} levels`);
    }
    const parent = this.#contexts[depth];
    let x: number;
    if (parent === X_SKIP) {
      x = X_SKIP;
    } else {
      const el = nameCode(tag.name);
      x = childContext(parent, el);
      if (parent <= X_CONTAINER) x = this.#openStructural(parent, el, x, tag);
      else if (x !== X_SKIP) this.#openRecordPart(x, tag);
    }
    this.#contexts[depth + 1] = x;
    this.#names[depth] = tag.name;
    this.#depth = depth + 1;
    if (CAPTURES[x] === 1) {
      this.#capturing = true;
      this.#text = "";
    } else {
      this.#capturing = false;
    }
  }

  /** Root and section level: headers, root check. */
  #openStructural(parent: number, el: number, x: number, tag: SaxesTagPlain): number {
    if (parent === X_DOCUMENT_START) {
      if (el !== N_ROOT) {
        throw this.#error(`not a CommerceML document: root element is <${tag.name}>`);
      }
      this.#sawRoot = true;
      this.#schemaVersion = tag.attributes["ВерсияСхемы"]?.trim() || null;
      return X_ROOT;
    }
    if (parent === X_ROOT || parent === X_CONTAINER) {
      if (el === N_DOCUMENT) this.#openSection("document", tag, false);
      else if (parent === X_CONTAINER) return X_SKIP;
      else if (x === X_CLASSIFIER) this.#openSection("classifier", tag, true);
      else if (x === X_CATALOG) this.#openSection("catalog", tag, true);
      else if (x === X_PACKAGE) this.#openSection("offers", tag, true);
      else if (el === N_COUNTERPARTIES) this.#openSection("counterparties", tag, false);
      return x;
    }
    if (x === X_GROUPS || x === X_PRICE_TYPES || x === X_WAREHOUSES || x === X_UNITS) {
      this.#openRecordPart(x, tag);
    }
    return x;
  }

  /** Resets the per-record state when a record element (or a part with state) opens. */
  #openRecordPart(x: number, tag: SaxesTagPlain): void {
    switch (x) {
      case X_PRODUCT:
        this.#resetItem("Товар");
        if (tag.attributes["Статус"] !== undefined) {
          this.#deleted = isDeletedStatus(tag.attributes["Статус"].trim());
        }
        return;
      case X_OFFER:
        this.#resetItem("Предложение");
        return;
      case X_ITEM_BASE_UNIT:
        // УТ 11 sends only attributes: <БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" …>
        this.#baseUnit = tag.attributes["Код"]?.trim() || null;
        return;
      case X_PVALUE:
        this.#id = "";
        this.#currentValues = [];
        return;
      case X_REQUISITE:
      case X_CHAR:
      case X_TAX:
        this.#name = "";
        this.#currentValues = null;
        this.#value = "";
        return;
      case X_PRICES:
        this.#prices ??= [];
        return;
      case X_PRICE:
        this.#priceType = "";
        this.#priceValue = "";
        this.#priceCurrency = null;
        this.#priceUnit = null;
        return;
      case X_RESTS:
        this.#stocks ??= [];
        return;
      case X_REST_WAREHOUSE:
        this.#stockId = "";
        this.#stockQuantity = "";
        this.#hasStockQuantity = false;
        if (tag.attributes["ИдСклада"] !== undefined) this.#stockFromAttributes(tag);
        return;
      case X_OFFER_STOCK_ATTR:
        // 2.x: <Склад ИдСклада="…" КоличествоНаСкладе="…"/> directly under Предложение.
        if (tag.attributes["ИдСклада"] !== undefined) this.#stockFromAttributes(tag);
        return;
      case X_GROUPS: {
        const group = this.#group;
        // Emit the enclosing group before its children (Ид and Наименование come first in practice).
        if (
          group !== null && group.state === GROUP_OPEN && group.id !== null && group.name !== null
        ) {
          this.#emitGroup(group);
        }
        this.#groupPositions.push(0);
        return;
      }
      case X_GROUP: {
        const positions = this.#groupPositions;
        const position = positions[positions.length - 1]++;
        this.#group = {
          id: null,
          name: null,
          deleted: false,
          position,
          parent: this.#group,
          state: GROUP_OPEN,
          waiting: null,
        };
        return;
      }
      case X_PROPERTY:
        this.#id = "";
        this.#name = "";
        this.#valueType = null;
        this.#values = {};
        this.#forOffers = false;
        this.#entryDeleted = false;
        return;
      case X_VARIANT_DICT:
        this.#valueId = "";
        this.#value = "";
        return;
      case X_PRICE_TYPE:
      case X_WAREHOUSE:
      case X_UNIT:
        this.#id = "";
        this.#name = "";
        this.#codeOrCurrency = null;
        this.#fullName = null;
        this.#international = null;
        return;
    }
  }

  #stockFromAttributes(tag: SaxesTagPlain): void {
    const id = tag.attributes["ИдСклада"].trim();
    const raw = tag.attributes["КоличествоНаСкладе"] ?? tag.attributes["Количество"] ?? "";
    const quantity = this.#number(raw, "stock quantity");
    const stocks = this.#stocks ??= [];
    if (quantity !== null) stocks.push({ warehouseId: id, quantity });
  }

  #resetItem(kind: string): void {
    this.#itemKind = kind;
    this.#itemId = "";
    this.#itemName = "";
    this.#sku = null;
    this.#barcode = null;
    this.#deleted = false;
    this.#version = null;
    this.#description = null;
    this.#baseUnit = null;
    this.#manufacturer = null;
    this.#groupIds = null;
    this.#images = null;
    this.#propertyValues = null;
    this.#requisites = null;
    this.#taxRates = null;
    this.#characteristics = null;
    this.#prices = null;
    this.#stocks = null;
    this.#quantity = null;
  }

  #close(): void {
    const depth = this.#depth;
    const x = this.#contexts[depth];
    this.#depth = depth - 1;
    this.#lastClosed = this.#names[depth - 1];
    this.#capturing = CAPTURES[this.#contexts[depth - 1]] === 1;
    if (x === X_SKIP) return;
    let value = "";
    if (CAPTURES[x] === 1) {
      value = this.#text.trim();
      this.#text = "";
    }
    switch (x) {
      // Items
      case X_ITEM_ID:
        this.#itemId = value;
        return;
      case X_ITEM_NAME:
        this.#itemName = value;
        return;
      case X_ITEM_SKU:
        this.#sku = orNull(value);
        return;
      case X_ITEM_BARCODE:
        this.#barcode = orNull(value);
        return;
      case X_ITEM_DELETED:
        if (parseFlag(value) === true) this.#deleted = true;
        return;
      case X_ITEM_STATUS:
        if (isDeletedStatus(value)) this.#deleted = true;
        return;
      case X_ITEM_VERSION:
        this.#version = orNull(value);
        return;
      case X_ITEM_DESCRIPTION:
        this.#description = orNull(value);
        return;
      case X_ITEM_BASE_UNIT:
        // 2.x: <БазоваяЕдиница Код="796" …>шт</БазоваяЕдиница>; 3.x: <БазоваяЕдиница>796 </…>.
        // The text wins; without text the Код attribute read at the open tag stays.
        if (value !== "") this.#baseUnit = value;
        return;
      case X_ITEM_IMAGE:
        if (value !== "") (this.#images ??= []).push(value);
        return;
      case X_ITEM_GROUP_ID:
        if (value !== "") (this.#groupIds ??= []).push(value);
        return;
      case X_ITEM_MANUFACTURER_NAME:
        this.#manufacturer = orNull(value);
        return;
      case X_PVALUE_ID:
        this.#id = value;
        return;
      case X_PVALUE_VALUE:
        if (value !== "") this.#currentValues!.push(value);
        return;
      case X_PVALUE:
        if (this.#id !== "") {
          (this.#propertyValues ??= []).push({ id: this.#id, values: this.#currentValues! });
        }
        this.#currentValues = null;
        return;
      case X_REQUISITE_NAME:
      case X_TAX_NAME:
      case X_CHAR_NAME:
        this.#name = value;
        return;
      case X_REQUISITE_VALUE:
        // Several Значение are joined with "\n".
        if (this.#currentValues === null) this.#currentValues = [value];
        else this.#currentValues.push(value);
        return;
      case X_TAX_RATE:
      case X_CHAR_VALUE:
        this.#value = value;
        return;
      case X_REQUISITE:
        if (this.#name !== "") {
          (this.#requisites ??= {})[this.#name] = this.#currentValues === null
            ? ""
            : this.#currentValues.join("\n");
        }
        this.#currentValues = null;
        return;
      case X_TAX:
        if (this.#name !== "") {
          (this.#taxRates ??= []).push({ name: this.#name, rate: this.#value });
        }
        return;
      case X_CHAR:
        if (this.#name !== "") (this.#characteristics ??= {})[this.#name] = this.#value;
        return;
      case X_PRODUCT:
        this.#emit(this.#product());
        return;
      case X_OFFER:
        this.#emit(this.#offer());
        return;

      // Offer prices and stock
      case X_OFFER_QUANTITY:
      case X_REST_QUANTITY: {
        const quantity = this.#number(value, "quantity");
        if (quantity !== null) this.#quantity = quantity;
        return;
      }
      case X_PRICE_TYPE_REF:
        this.#priceType = value;
        return;
      case X_PRICE_VALUE:
        this.#priceValue = value;
        return;
      case X_PRICE_CURRENCY:
        this.#priceCurrency = orNull(value);
        return;
      case X_PRICE_UNIT:
        this.#priceUnit = orNull(value);
        return;
      case X_PRICE:
        this.#closePrice();
        return;
      case X_REST_WAREHOUSE_ID:
        this.#stockId = value;
        return;
      case X_REST_WAREHOUSE_QUANTITY:
        this.#stockQuantity = value;
        this.#hasStockQuantity = true;
        return;
      case X_REST_WAREHOUSE:
        // 3.x / 2.09 rests: <Остаток><Склад><Ид>…</Ид><Количество>5</Количество></Склад></Остаток>
        if (this.#stockId !== "" || this.#hasStockQuantity) {
          if (this.#stockId === "") throw this.#error(this.#what("stock entry without Ид"));
          const quantity = this.#number(this.#stockQuantity, "stock quantity");
          if (quantity !== null) this.#stocks!.push({ warehouseId: this.#stockId, quantity });
        }
        return;

      // Groups
      case X_GROUP_ID:
        this.#group!.id = value;
        return;
      case X_GROUP_NAME:
        this.#group!.name = value;
        return;
      case X_GROUP_DELETED:
        if (parseFlag(value) === true) this.#group!.deleted = true;
        return;
      case X_GROUP: {
        const group = this.#group!;
        if (group.id === null || group.id === "") throw this.#error("Группа without Ид");
        if (group.state === GROUP_OPEN) this.#emitGroup(group);
        this.#group = group.parent;
        return;
      }
      case X_GROUPS:
        this.#groupPositions.pop();
        return;

      // Properties
      case X_PROPERTY_ID:
      case X_PRICE_TYPE_ID:
      case X_WAREHOUSE_ID:
      case X_UNIT_ID:
        this.#id = value;
        return;
      case X_PROPERTY_NAME:
      case X_PRICE_TYPE_NAME:
      case X_WAREHOUSE_NAME:
        this.#name = value;
        return;
      case X_PROPERTY_TYPE:
        this.#valueType = orNull(value);
        return;
      case X_PROPERTY_FOR_OFFERS:
        this.#forOffers = parseFlag(value) === true;
        return;
      case X_PROPERTY_DELETED:
        this.#entryDeleted = parseFlag(value) === true;
        return;
      case X_VARIANT_DICT_ID:
        this.#valueId = value;
        return;
      case X_VARIANT_DICT_VALUE:
        this.#value = value;
        return;
      case X_VARIANT_DICT:
        if (this.#valueId !== "") this.#values[this.#valueId] = this.#value;
        return;
      case X_VARIANT_PLAIN:
        // Older files: <ВариантыЗначений><Значение>Красный</Значение>…
        if (value !== "") this.#values[value] = value;
        return;
      case X_PROPERTY:
        if (this.#id === "") throw this.#error("Свойство without Ид");
        this.#emit({
          type: "property",
          id: this.#id,
          name: this.#name,
          valueType: this.#valueType,
          values: this.#values,
          forOffers: this.#forOffers,
          deleted: this.#entryDeleted,
        });
        return;

      // Price types, warehouses, units
      case X_PRICE_TYPE_CURRENCY:
      case X_UNIT_CODE:
        this.#codeOrCurrency = orNull(value);
        return;
      case X_UNIT_NAME:
        this.#name = value;
        return;
      case X_UNIT_FULL_NAME:
        this.#fullName = orNull(value);
        return;
      case X_UNIT_INTERNATIONAL:
        this.#international = orNull(value);
        return;
      case X_PRICE_TYPE:
        if (this.#id === "") throw this.#error("ТипЦены without Ид");
        this.#emit({
          type: "priceType",
          id: this.#id,
          name: this.#name,
          currency: this.#codeOrCurrency,
        });
        return;
      case X_WAREHOUSE:
        if (this.#id === "") throw this.#error("Склад without Ид");
        this.#emit({ type: "warehouse", id: this.#id, name: this.#name });
        return;
      case X_UNIT: {
        const unitCode = this.#codeOrCurrency ?? orNull(this.#id);
        if (unitCode === null) throw this.#error("ЕдиницаИзмерения without Код or Ид");
        this.#emit({
          type: "unit",
          code: unitCode,
          name: orNull(this.#name),
          fullName: this.#fullName,
          international: this.#international,
        });
        return;
      }

      // Sections
      case X_CHANGES_ONLY:
        this.#changesOnlyElement(parseFlag(value));
        return;
      case X_CLASSIFIER:
      case X_CATALOG:
      case X_PACKAGE:
        if (this.#pendingHeader !== null) this.#flushHeader();
        return;
    }
  }

  /**
   * <СодержитТолькоИзменения> as a child element. When it comes before the section's records the
   * header waits for it. 2.03 files put it *after* the records:
   *   <Каталог>…<Товары>…</Товары><СодержитТолькоИзменения>false</СодержитТолькоИзменения></Каталог>
   * By then the header went out with changesOnly = null and the records were written under it;
   * announcing "full" afterwards would make a consumer deactivate everything it did not track
   * as seen, so a late value is ignored (null = never deactivate by absence).
   */
  #changesOnlyElement(flag: boolean | null): void {
    const pending = this.#pendingHeader;
    if (pending === null) return;
    pending.changesOnly = flag;
    this.#flushHeader();
  }

  #closePrice(): void {
    if (this.#priceType === "") throw this.#error(this.#what("Цена without ИдТипаЦены"));
    // A real 1C export sends "no price" as an empty value:
    //   <Представление>Уточните у менеджера</Представление>…<ЦенаЗаЕдиницу/>
    const value = this.#number(this.#priceValue, "price");
    if (value === null) return;
    this.#prices!.push({
      priceTypeId: this.#priceType,
      value,
      currency: this.#priceCurrency,
      unit: this.#priceUnit,
    });
  }

  /** Parses a price/quantity: null when empty (no value), CmlError when not a number. */
  #number(raw: string, what: string): number | null {
    const n = parseCmlNumber(raw);
    if (n !== null) return n;
    if (raw.trim() === "") return null;
    throw this.#error(this.#what(`invalid ${what} ${JSON.stringify(raw.trim())}`));
  }

  /** Appends which offer/product the problem is in. */
  #what(message: string): string {
    return this.#itemId === "" ? message : `${message} in ${this.#itemKind} Ид ${this.#itemId}`;
  }

  /** Emits a group, or parks it until its parent has been emitted (parent before children). */
  #emitGroup(group: GroupFrame): void {
    const parent = group.parent;
    if (parent !== null && parent.state !== GROUP_EMITTED) {
      group.state = GROUP_QUEUED;
      (parent.waiting ??= []).push(group);
      return;
    }
    group.state = GROUP_EMITTED;
    this.#emit({
      type: "group",
      id: group.id!,
      parentId: parent === null ? null : parent.id,
      name: group.name ?? "",
      position: group.position,
      deleted: group.deleted,
    });
    const waiting = group.waiting;
    if (waiting !== null) {
      group.waiting = null;
      for (const child of waiting) {
        // A parked child may still be open (its Ид is known); emit it with what we know now.
        if (child.id !== null && child.id !== "") this.#emitGroup(child);
        else child.state = GROUP_OPEN;
      }
    }
  }

  #product(): ProductRecord {
    if (this.#itemId === "") throw this.#error("Товар without Ид");
    return {
      type: "product",
      id: this.#itemId,
      sku: this.#sku,
      barcode: this.#barcode,
      name: this.#itemName,
      description: this.#description,
      groupIds: this.#groupIds ?? [],
      manufacturer: this.#manufacturer,
      images: this.#images ?? [],
      propertyValues: this.#propertyValues ?? [],
      requisites: this.#requisites ?? {},
      taxRates: this.#taxRates ?? [],
      characteristics: this.#characteristics ?? {},
      baseUnit: this.#baseUnit,
      version: this.#version,
      deleted: this.#deleted,
    };
  }

  #offer(): OfferRecord {
    const id = this.#itemId;
    if (id === "") throw this.#error("Предложение without Ид");
    const hash = id.indexOf("#");
    return {
      type: "offer",
      id,
      productId: hash < 0 ? id : id.slice(0, hash),
      name: orNull(this.#itemName),
      sku: this.#sku,
      barcode: this.#barcode,
      characteristics: this.#characteristics ?? {},
      propertyValues: this.#propertyValues ?? [],
      prices: this.#prices,
      stocks: this.#stocks,
      quantity: this.#quantity,
      deleted: this.#deleted,
    };
  }
}

function localName(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

/** saxes errors read "12:5: unexpected close tag."; we keep the text and add our own position. */
function saxesMessage(message: string, lastClosed: string): string {
  const text = withoutPosition(message).replace(/\.$/, "");
  // saxes closes the still-open element first, then complains about the mismatched close tag.
  if (text === "unexpected close tag" && lastClosed !== "") {
    return `unclosed tag ${localName(lastClosed)}`;
  }
  return text;
}

/**
 * Reads a CommerceML byte stream: decodes, parses and yields the records completed by each
 * input chunk (empty batches are skipped).
 */
export async function* readCommerceML(
  source: AsyncIterable<Uint8Array>,
  opts?: ReaderOptions,
): AsyncIterable<CmlRecord[]> {
  const reader = new CommerceMLReader(opts);
  for await (const text of decodeXml(source)) {
    const records = reader.write(text);
    if (records.length !== 0) yield records;
  }
  const last = reader.close();
  if (last.length !== 0) yield last;
}
