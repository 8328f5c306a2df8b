/**
 * Typed records the streaming readers emit. Readers know nothing about Postgres; the
 * catalog writer knows nothing about XML. Ids are 1C Ид values, trimmed.
 */

/** Document-level facts, emitted when the reader meets them (before the records they govern). */
export interface HeaderRecord {
  type: "header";
  /** КоммерческаяИнформация/@ВерсияСхемы, e.g. "2.04", "3.1". */
  schemaVersion: string | null;
  /** Which section opened: Классификатор, Каталог, ПакетПредложений (or ИзмененияПакетаПредложений), Контрагенты, Документ. */
  section: "classifier" | "catalog" | "offers" | "counterparties" | "document";
  /** СодержитТолькоИзменения as a boolean; null when the section does not say. */
  changesOnly: boolean | null;
}

export interface GroupRecord {
  type: "group";
  id: string;
  /** From nesting: the enclosing Группа's Ид, null at the top. */
  parentId: string | null;
  name: string;
  /** Order among siblings as in the file. */
  position: number;
  deleted: boolean;
}

export interface PropertyRecord {
  type: "property";
  id: string;
  name: string;
  /** ТипЗначений: Строка, Число, Справочник, … (null when absent). */
  valueType: string | null;
  /** ВариантыЗначений/Справочник: ИдЗначения → Значение. Plain Значение variants map value → value. */
  values: Record<string, string>;
  /** ДляПредложений=true (3.x offer/variant properties). */
  forOffers: boolean;
  deleted: boolean;
}

export interface PriceTypeRecord {
  type: "priceType";
  id: string;
  name: string;
  currency: string | null;
}

export interface WarehouseRecord {
  type: "warehouse";
  id: string;
  name: string;
}

export interface UnitRecord {
  type: "unit";
  code: string;
  name: string | null;
  fullName: string | null;
  international: string | null;
}

export interface PropertyValue {
  id: string;
  values: string[];
}

export interface ProductRecord {
  type: "product";
  id: string;
  sku: string | null;
  barcode: string | null;
  name: string;
  description: string | null;
  groupIds: string[];
  manufacturer: string | null;
  /** Картинка paths in file order (first = main image); empty ones dropped. */
  images: string[];
  propertyValues: PropertyValue[];
  /** ЗначенияРеквизитов: Наименование → Значение (several values joined with "\n"). */
  requisites: Record<string, string>;
  taxRates: { name: string; rate: string }[];
  /** ХарактеристикиТовара (2.03/2.04 catalogs list one Товар per characteristic). */
  characteristics: Record<string, string>;
  /** Short unit name (2.x text) or unit code (3.x reference). */
  baseUnit: string | null;
  version: string | null;
  /** Статус="Удален", <Статус>Удален</Статус> or ПометкаУдаления=true. */
  deleted: boolean;
}

export interface PriceRecord {
  priceTypeId: string;
  value: number;
  currency: string | null;
  unit: string | null;
}

export interface StockRecord {
  warehouseId: string;
  quantity: number;
}

export interface OfferRecord {
  type: "offer";
  /** Full Ид, `product#characteristic` for a variant. */
  id: string;
  /** Part before `#`. */
  productId: string;
  name: string | null;
  sku: string | null;
  barcode: string | null;
  characteristics: Record<string, string>;
  propertyValues: PropertyValue[];
  /** null when the offer carries no Цены element (a rests-only or offers-only package). */
  prices: PriceRecord[] | null;
  /** Per-warehouse stock; null when the offer carries none (neither Склад nor Остатки). */
  stocks: StockRecord[] | null;
  /** Количество (total), or the warehouse-less Остаток/Количество; null when absent. */
  quantity: number | null;
  deleted: boolean;
}

export type CmlRecord =
  | HeaderRecord
  | GroupRecord
  | PropertyRecord
  | PriceTypeRecord
  | WarehouseRecord
  | UnitRecord
  | ProductRecord
  | OfferRecord;

/** A reader failure that names where in the file it happened. */
export class CmlError extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(line !== undefined ? `line ${line}, column ${column}: ${message}` : message);
    this.name = "CmlError";
  }
}
