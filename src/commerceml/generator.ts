/**
 * Synthetic CommerceML 2.08 catalogs shaped like УТ 11 exports, for `deno task bench` and demos.
 *
 * Deterministic: every value is a hash of (seed, what, index), never of a running random
 * stream, so tests can ask for one product's Ид or price (`productId`, `offerPrice`) without
 * generating the file, and two runs give identical bytes. Output is produced lazily in ~64 KiB
 * chunks as the consumer pulls; a 100k-product catalog never exists in memory.
 */

export interface GeneratorOptions {
  products: number;
  /** Every Nth product is sold as 2 variants (`productId#charId`); 0 = none. Default 3. */
  variantsEvery?: number;
  /** Default 3. */
  priceTypes?: number;
  /** Default 4. Each offer has stock on 2 of them. */
  warehouses?: number;
  /** Default 1. */
  seed?: number;
  /** Encode as windows-1251 with a matching declaration and no BOM (older/Bitrix files). */
  windows1251?: boolean;
}

export interface ExpectedCounts {
  products: number;
  offers: number;
  prices: number;
  stocks: number;
  groups: number;
}

export interface GeneratedCatalog {
  importXml: ReadableStream<Uint8Array>;
  offersXml: ReadableStream<Uint8Array>;
  expected: ExpectedCounts;
}

export const DEFAULT_SEED = 1;
const CHUNK_SIZE = 64 * 1024;
const TOP_GROUPS = 5;
const SUBGROUPS = 9;
const VARIANTS = 2;
const STOCKED_WAREHOUSES = 2;
// Fixed, so that two runs are byte-identical.
const GENERATED_AT = "2024-06-03T09:15:42";

export function generateCatalog(opts: GeneratorOptions): GeneratedCatalog {
  const o = resolve(opts);
  return {
    importXml: xmlStream(importParts(o), o.windows1251),
    offersXml: xmlStream(offersParts(o), o.windows1251),
    expected: expectedCounts(opts),
  };
}

export function expectedCounts(opts: GeneratorOptions): ExpectedCounts {
  const o = resolve(opts);
  let withVariants = 0;
  if (o.variantsEvery > 0) withVariants = Math.floor(o.products / o.variantsEvery);
  const offers = o.products + withVariants * (VARIANTS - 1);
  return {
    products: o.products,
    offers,
    prices: offers * o.priceTypes,
    stocks: offers * Math.min(STOCKED_WAREHOUSES, o.warehouses),
    groups: TOP_GROUPS * (1 + SUBGROUPS),
  };
}

// ---------------------------------------------------------------------------------------------
// Values tests can ask for

export function productId(i: number, seed = DEFAULT_SEED): string {
  return uuid(seed, K.product, i, 0);
}

export function hasVariants(opts: GeneratorOptions, i: number): boolean {
  const every = resolve(opts).variantsEvery;
  return every > 0 && (i + 1) % every === 0;
}

/** Offer Ид values of product `i`, in file order. */
export function offerIds(opts: GeneratorOptions, i: number): string[] {
  const seed = resolve(opts).seed;
  const id = productId(i, seed);
  if (!hasVariants(opts, i)) return [id];
  return Array.from({ length: VARIANTS }, (_, v) => `${id}#${uuid(seed, K.characteristic, i, v)}`);
}

export function priceTypeId(p: number, seed = DEFAULT_SEED): string {
  return uuid(seed, K.priceType, p, 0);
}

export function warehouseId(w: number, seed = DEFAULT_SEED): string {
  return uuid(seed, K.warehouse, w, 0);
}

/** `ЦенаЗаЕдиницу` of product `i`'s offer `variant` for price type `priceType`, e.g. "1234.50". */
export function offerPrice(
  opts: GeneratorOptions,
  i: number,
  priceType: number,
  variant = 0,
): string {
  return formatCents(priceCents(resolve(opts).seed, i, priceType, variant));
}

/** Stock of one offer: the `Количество` total and the two `Склад` rows. */
export function offerStock(
  opts: GeneratorOptions,
  i: number,
  variant = 0,
): { total: number; warehouses: Array<{ id: string; quantity: number }> } {
  const o = resolve(opts);
  const rows = stockRows(o, i, variant).map(([w, quantity]) => ({
    id: warehouseId(w, o.seed),
    quantity,
  }));
  return { total: rows.reduce((sum, r) => sum + r.quantity, 0), warehouses: rows };
}

export function productName(i: number, seed = DEFAULT_SEED): string {
  const r = rng(seed, K.name, i, 0);
  const kind = pick(r, KINDS);
  const brand = BRANDS[brandIndex(seed, i)];
  return `${kind} ${brand} ${pick(r, MODEL_PREFIXES)}-${100 + Math.floor(r() * 900)}`;
}

export function productArticle(i: number): string {
  return `ТК-${String(i + 1).padStart(6, "0")}`;
}

// ---------------------------------------------------------------------------------------------
// import.xml

type Resolved = Required<GeneratorOptions>;

function resolve(opts: GeneratorOptions): Resolved {
  const o: Resolved = {
    products: opts.products,
    variantsEvery: opts.variantsEvery ?? 3,
    priceTypes: opts.priceTypes ?? 3,
    warehouses: opts.warehouses ?? 4,
    seed: opts.seed ?? DEFAULT_SEED,
    windows1251: opts.windows1251 ?? false,
  };
  for (const key of ["products", "variantsEvery", "priceTypes", "warehouses", "seed"] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 0) {
      throw new RangeError(`generateCatalog: ${key} must be a whole number ≥ 0, got ${o[key]}`);
    }
  }
  if (o.priceTypes < 1 || o.warehouses < 1) {
    throw new RangeError("generateCatalog: priceTypes and warehouses must be at least 1");
  }
  return o;
}

function prolog(o: Resolved): string {
  // A BOM like 1C's UTF-8 files; none in windows-1251, where it would be three junk letters.
  const start = o.windows1251
    ? `<?xml version="1.0" encoding="windows-1251"?>`
    : `\uFEFF<?xml version="1.0" encoding="UTF-8"?>`;
  return `${start}
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ВерсияСхемы="2.08" ДатаФормирования="${GENERATED_AT}">
`;
}

function owner(seed: number, indent: string): string {
  return `${indent}<Владелец>
${indent}	<Ид>${uuid(seed, K.owner, 0, 0)}</Ид>
${indent}	<Наименование>ООО &quot;Ромашка&quot;</Наименование>
${indent}	<ОфициальноеНаименование>Общество с ограниченной ответственностью &quot;Ромашка&quot;</ОфициальноеНаименование>
${indent}	<ИНН>7701234567</ИНН>
${indent}	<КПП>770101001</КПП>
${indent}</Владелец>
`;
}

function groupId(seed: number, top: number, sub: number): string {
  return uuid(seed, K.group, top, sub);
}

function classifier(o: Resolved): string {
  const { seed } = o;
  let groups = "";
  for (let t = 0; t < TOP_GROUPS; t++) {
    let children = "";
    for (let s = 0; s < SUBGROUPS; s++) {
      children += `				<Группа>
					<Ид>${groupId(seed, t, s + 1)}</Ид>
					<Наименование>${SUBGROUP_NAMES[s]} (${TOP_GROUP_NAMES[t]})</Наименование>
				</Группа>
`;
    }
    groups += `		<Группа>
			<Ид>${groupId(seed, t, 0)}</Ид>
			<Наименование>${TOP_GROUP_NAMES[t]}</Наименование>
			<Группы>
${children}			</Группы>
		</Группа>
`;
  }
  let properties = "";
  for (const [p, prop] of PROPERTIES.entries()) {
    let variants = "";
    if (prop.type === "Справочник") {
      variants = `			<ВариантыЗначений>
${
        prop.values.map((value, v) =>
          `				<Справочник>
					<ИдЗначения>${uuid(seed, K.propertyValue, p, v)}</ИдЗначения>
					<Значение>${value}</Значение>
				</Справочник>
`
        ).join("")
      }			</ВариантыЗначений>
`;
    }
    properties += `		<Свойство>
			<Ид>${uuid(seed, K.property, p, 0)}</Ид>
			<Наименование>${prop.name}</Наименование>
			<ТипЗначений>${prop.type}</ТипЗначений>
${variants}		</Свойство>
`;
  }
  return `	<Классификатор>
		<Ид>${uuid(seed, K.classifier, 0, 0)}</Ид>
		<Наименование>Классификатор (Основной каталог товаров)</Наименование>
${owner(seed, "\t\t")}		<Группы>
${groups}		</Группы>
		<Свойства>
${properties}		</Свойства>
	</Классификатор>
`;
}

/** Ids every product or offer repeats, hashed once per file instead of once per use. */
interface SharedIds {
  property: string[];
  brandValue: string[];
  countryValue: string[];
  leafGroup: string[];
  priceType: string[];
  warehouse: string[];
}

function sharedIds(o: Resolved): SharedIds {
  const { seed } = o;
  const leafGroup: string[] = [];
  for (let t = 0; t < TOP_GROUPS; t++) {
    for (let s = 1; s <= SUBGROUPS; s++) leafGroup.push(groupId(seed, t, s));
  }
  return {
    property: PROPERTIES.map((_, p) => uuid(seed, K.property, p, 0)),
    brandValue: BRANDS.map((_, v) => uuid(seed, K.propertyValue, 0, v)),
    countryValue: COUNTRIES.map((_, v) => uuid(seed, K.propertyValue, 1, v)),
    leafGroup,
    priceType: Array.from({ length: o.priceTypes }, (_, p) => priceTypeId(p, seed)),
    warehouse: Array.from({ length: o.warehouses }, (_, w) => warehouseId(w, seed)),
  };
}

function* importParts(o: Resolved): Generator<string> {
  const { seed } = o;
  const ids = sharedIds(o);
  yield prolog(o);
  yield classifier(o);
  yield `	<Каталог СодержитТолькоИзменения="false">
		<Ид>${uuid(seed, K.catalog, 0, 0)}</Ид>
		<ИдКлассификатора>${uuid(seed, K.classifier, 0, 0)}</ИдКлассификатора>
		<Наименование>Основной каталог товаров</Наименование>
${owner(seed, "\t\t")}		<Товары>
`;
  for (let i = 0; i < o.products; i++) yield product(seed, ids, i);
  yield `		</Товары>
	</Каталог>
</КоммерческаяИнформация>
`;
}

function product(seed: number, ids: SharedIds, i: number): string {
  const r = rng(seed, K.productData, i, 0);
  const id = productId(i, seed);
  const name = productName(i, seed);
  const leaf = Math.floor(r() * TOP_GROUPS * SUBGROUPS);
  const group = ids.leafGroup[leaf];
  const picture = `import_files/${id.slice(0, 2)}/${id}_${hex32(mix(seed, K.picture, i, 0))}.jpg`;
  const material = pick(r, MATERIALS);
  const power = 100 + Math.floor(r() * 24) * 100;
  let values = propertyValue(
    ids.property[0],
    ids.brandValue[brandIndex(seed, i)],
  ) +
    propertyValue(ids.property[2], String(power)) +
    propertyValue(ids.property[4], material);
  // 3 to 5 values per product, like real catalogs where not every property is filled.
  if (r() < 0.35) {
    const country = Math.floor(r() * COUNTRIES.length);
    values += propertyValue(ids.property[1], ids.countryValue[country]);
  }
  if (r() < 0.15) {
    const volume = `${1 + Math.floor(r() * 4)},${Math.floor(r() * 10)}`;
    values += propertyValue(ids.property[3], volume);
  }
  const vat = r() < 0.9 ? "20" : "10";
  const fullName = r() < 0.2
    ? `${name} &quot;${pick(r, SERIES)}&quot;, ${material.toLowerCase()}`
    : `${name}, ${material.toLowerCase()}, ${power} Вт`;
  return `			<Товар>
				<Ид>${id}</Ид>
				<Штрихкод>${barcode(i)}</Штрихкод>
				<Артикул>${productArticle(i)}</Артикул>
				<Наименование>${name}</Наименование>
				<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>
				<Группы>
					<Ид>${group}</Ид>
				</Группы>
				<Описание>${description(r, name)}</Описание>
				<Картинка>${picture}</Картинка>
				<ЗначенияСвойств>
${values}				</ЗначенияСвойств>
				<СтавкиНалогов>
					<СтавкаНалога>
						<Наименование>НДС</Наименование>
						<Ставка>${vat}</Ставка>
					</СтавкаНалога>
				</СтавкиНалогов>
				<ЗначенияРеквизитов>
					<ЗначениеРеквизита>
						<Наименование>ВидНоменклатуры</Наименование>
						<Значение>Товар</Значение>
					</ЗначениеРеквизита>
					<ЗначениеРеквизита>
						<Наименование>ТипНоменклатуры</Наименование>
						<Значение>Товар</Значение>
					</ЗначениеРеквизита>
					<ЗначениеРеквизита>
						<Наименование>Полное наименование</Наименование>
						<Значение>${fullName}</Значение>
					</ЗначениеРеквизита>
				</ЗначенияРеквизитов>
			</Товар>
`;
}

function propertyValue(id: string, value: string): string {
  return `					<ЗначенияСвойства>
						<Ид>${id}</Ид>
						<Значение>${value}</Значение>
					</ЗначенияСвойства>
`;
}

function description(r: () => number, name: string): string {
  let text = `${name}. `;
  // ~200 characters, as in a typical УТ 11 card; sentences never repeat within one product.
  const start = Math.floor(r() * SENTENCES.length);
  for (let k = 0; text.length < 150 && k < SENTENCES.length; k++) {
    text += SENTENCES[(start + k * 7) % SENTENCES.length] + " ";
  }
  return text.trimEnd();
}

// ---------------------------------------------------------------------------------------------
// offers.xml

function* offersParts(o: Resolved): Generator<string> {
  const { seed } = o;
  const ids = sharedIds(o);
  yield prolog(o);
  let priceTypes = "";
  for (let p = 0; p < o.priceTypes; p++) {
    priceTypes += `			<ТипЦены>
				<Ид>${ids.priceType[p]}</Ид>
				<Наименование>${PRICE_TYPE_NAMES[p] ?? `Тип цен №${p + 1}`}</Наименование>
				<Валюта>RUB</Валюта>
				<Налог>
					<Наименование>НДС</Наименование>
					<УчтеноВСумме>true</УчтеноВСумме>
					<Акциз>false</Акциз>
				</Налог>
			</ТипЦены>
`;
  }
  let warehouses = "";
  for (let w = 0; w < o.warehouses; w++) {
    warehouses += `			<Склад>
				<Ид>${ids.warehouse[w]}</Ид>
				<Наименование>${WAREHOUSE_NAMES[w] ?? `Склад №${w + 1}`}</Наименование>
			</Склад>
`;
  }
  const catalogId = uuid(seed, K.catalog, 0, 0);
  yield `	<ПакетПредложений СодержитТолькоИзменения="false">
		<Ид>${catalogId}#</Ид>
		<Наименование>Пакет предложений (Основной каталог товаров)</Наименование>
		<ИдКаталога>${catalogId}</ИдКаталога>
		<ИдКлассификатора>${uuid(seed, K.classifier, 0, 0)}</ИдКлассификатора>
${owner(seed, "\t\t")}		<ТипыЦен>
${priceTypes}		</ТипыЦен>
		<Склады>
${warehouses}		</Склады>
		<Предложения>
`;
  for (let i = 0; i < o.products; i++) {
    if (hasVariants(o, i)) {
      for (let v = 0; v < VARIANTS; v++) yield offer(o, ids, i, v);
    } else {
      yield offer(o, ids, i, -1);
    }
  }
  yield `		</Предложения>
	</ПакетПредложений>
</КоммерческаяИнформация>
`;
}

/** `variant` -1 is the product's own offer (no characteristic). */
function offer(o: Resolved, ids: SharedIds, i: number, variant: number): string {
  const { seed } = o;
  const v = Math.max(variant, 0);
  const pid = productId(i, seed);
  let id = pid;
  let name = productName(i, seed);
  let characteristics = "";
  if (variant >= 0) {
    id = `${pid}#${uuid(seed, K.characteristic, i, variant)}`;
    const size = SIZES[(i + variant) % SIZES.length];
    const color = COLORS[(i * 3 + variant) % COLORS.length];
    name = `${name} (${size}, ${color})`;
    characteristics = `				<ХарактеристикиТовара>
					<ХарактеристикаТовара>
						<Наименование>Размер</Наименование>
						<Значение>${size}</Значение>
					</ХарактеристикаТовара>
					<ХарактеристикаТовара>
						<Наименование>Цвет</Наименование>
						<Значение>${color}</Значение>
					</ХарактеристикаТовара>
				</ХарактеристикиТовара>
`;
  }
  let prices = "";
  for (let p = 0; p < o.priceTypes; p++) {
    const cents = priceCents(seed, i, p, v);
    prices += `					<Цена>
						<Представление>${presentation(cents)} RUB за шт</Представление>
						<ИдТипаЦены>${ids.priceType[p]}</ИдТипаЦены>
						<ЦенаЗаЕдиницу>${formatCents(cents)}</ЦенаЗаЕдиницу>
						<Валюта>RUB</Валюта>
						<Единица>шт</Единица>
						<Коэффициент>1</Коэффициент>
					</Цена>
`;
  }
  const rows = stockRows(o, i, v);
  const total = rows.reduce((sum, [, q]) => sum + q, 0);
  let stock = `				<Количество>${total}</Количество>
`;
  for (const [w, q] of rows) {
    stock += `				<Склад ИдСклада="${ids.warehouse[w]}" КоличествоНаСкладе="${q}"/>
`;
  }
  return `			<Предложение>
				<Ид>${id}</Ид>
				<Штрихкод>${barcode(i)}</Штрихкод>
				<Артикул>${productArticle(i)}</Артикул>
				<Наименование>${name}</Наименование>
				<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>
${characteristics}				<Цены>
${prices}				</Цены>
${stock}			</Предложение>
`;
}

function priceCents(seed: number, i: number, priceType: number, variant: number): number {
  // A base retail price per offer; other price types are steady discounts off it.
  const base = 9_900 + (mix(seed, K.price, i, variant) % 9_990_000);
  return Math.round(base * (1 - 0.07 * priceType));
}

function formatCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

/** "12 345,60" with a no-break space, as 1C's Формат() writes presentations. */
function presentation(cents: number): string {
  const whole = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+$)/g, "\u00A0");
  return `${whole},${String(cents % 100).padStart(2, "0")}`;
}

function stockRows(o: Resolved, i: number, variant: number): Array<[number, number]> {
  const h = mix(o.seed, K.stock, i, variant);
  const first = h % o.warehouses;
  const rows: Array<[number, number]> = [[first, (h >>> 8) % 51]];
  if (o.warehouses > 1) {
    const second = (first + 1 + ((h >>> 16) % (o.warehouses - 1))) % o.warehouses;
    rows.push([second, (h >>> 20) % 31]);
  }
  return rows;
}

/** EAN-13 in Russia's 46x range, unique per product for the first billion products. */
function barcode(i: number): string {
  const digits = `460${String(i % 1e9).padStart(9, "0")}`;
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += Number(digits[k]) * (k % 2 === 0 ? 1 : 3);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

function brandIndex(seed: number, i: number): number {
  return mix(seed, K.brand, i, 0) % BRANDS.length;
}

// ---------------------------------------------------------------------------------------------
// Deterministic values

/** Hash domains: one per kind of value, so ids of different things never coincide. */
const K = {
  product: 1,
  characteristic: 2,
  priceType: 3,
  warehouse: 4,
  group: 5,
  property: 6,
  propertyValue: 7,
  catalog: 8,
  classifier: 9,
  owner: 10,
  productData: 11,
  name: 12,
  picture: 13,
  price: 14,
  stock: 15,
  brand: 16,
} as const;

/** murmur3-style mixing of four 32-bit words. */
function mix(a: number, b: number, c: number, d: number): number {
  let h = mixStep(mixStep(mixStep(mixStep(0x9e3779b9, a), b), c), d);
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mixStep(h: number, x: number): number {
  h = Math.imul(h ^ (x >>> 0), 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** mulberry32, seeded by a hash: a small fast stream for values nobody asks about. */
function rng(seed: number, kind: number, a: number, b: number): () => number {
  let state = mix(seed, kind, a, b);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/**
 * A GUID-looking id: four independent 32-bit hashes of (seed, kind, a, b), so distinct inputs
 * collide only if all four words do.
 */
function uuid(seed: number, kind: number, a: number, b: number): string {
  const h = hex32(mix(seed, kind * 4, a, b)) + hex32(mix(seed, kind * 4 + 1, a, b)) +
    hex32(mix(seed, kind * 4 + 2, a, b)) + hex32(mix(seed, kind * 4 + 3, a, b));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${
    h.slice(20)
  }`;
}

// ---------------------------------------------------------------------------------------------
// Encoding

type EncodeInto = (text: string, into: Uint8Array) => { read: number; written: number };

const utf8 = new TextEncoder();
const encodeUtf8: EncodeInto = (text, into) => utf8.encodeInto(text, into);

/** windows-1251 bytes for the characters this generator writes beyond ASCII; 0 = none. */
const CP1251 = new Uint8Array(0x460);
for (let k = 0; k < 64; k++) CP1251[0x410 + k] = 0xc0 + k; // А..я
CP1251[0x401] = 0xa8; // Ё
CP1251[0x451] = 0xb8; // ё
CP1251[0xa0] = 0xa0; // no-break space
CP1251[0xab] = 0xab; // «
CP1251[0xbb] = 0xbb; // »
const CP1251_PUNCTUATION: Readonly<Record<number, number>> = {
  0x2013: 0x96, // –
  0x2014: 0x97, // —
  0x2116: 0xb9, // №
};

const encodeCp1251: EncodeInto = (text, into) => {
  const n = Math.min(text.length, into.length);
  for (let k = 0; k < n; k++) {
    const code = text.charCodeAt(k);
    const byte = code < 0x80 ? code : code < 0x460 ? CP1251[code] : CP1251_PUNCTUATION[code];
    if (!byte) {
      throw new RangeError(`generator: no windows-1251 byte for U+${code.toString(16)}`);
    }
    into[k] = byte;
  }
  return { read: n, written: n };
};

/** Pull-driven: nothing is generated until the consumer reads, then one ~64 KiB chunk at a time. */
function xmlStream(parts: Iterator<string>, windows1251: boolean): ReadableStream<Uint8Array> {
  const encodeInto = windows1251 ? encodeCp1251 : encodeUtf8;
  let pending = "";
  let finished = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = new Uint8Array(CHUNK_SIZE);
      let used = 0;
      while (used < CHUNK_SIZE) {
        if (pending.length === 0) {
          const next = parts.next();
          if (next.done) {
            finished = true;
            break;
          }
          pending = next.value;
          continue;
        }
        const { read, written } = encodeInto(pending, chunk.subarray(used));
        used += written;
        pending = read === pending.length ? "" : pending.slice(read);
        // The next character needs more bytes than are left: send what we have.
        if (read === 0) break;
      }
      if (used > 0) controller.enqueue(used === CHUNK_SIZE ? chunk : chunk.slice(0, used));
      if (finished) controller.close();
    },
    cancel() {
      parts.return?.(undefined);
    },
  }, { highWaterMark: 0 });
}

// ---------------------------------------------------------------------------------------------
// Word lists

const TOP_GROUP_NAMES = [
  "Бытовая техника",
  "Товары для кухни",
  "Климатическая техника",
  "Красота и здоровье",
  "Инструменты",
];
const SUBGROUP_NAMES = [
  "Чайники",
  "Утюги",
  "Пылесосы",
  "Кофеварки",
  "Блендеры",
  "Обогреватели",
  "Вентиляторы",
  "Фены",
  "Аксессуары",
];
const KINDS = [
  "Чайник электрический",
  "Утюг паровой",
  "Пылесос",
  "Кофемашина",
  "Блендер погружной",
  "Миксер",
  "Тостер",
  "Обогреватель масляный",
  "Вентилятор напольный",
  "Мясорубка",
  "Микроволновая печь",
  "Электрогриль",
  "Увлажнитель воздуха",
  "Фен",
  "Мультиварка",
];
const BRANDS = [
  "Весна",
  "Заря",
  "Полёт",
  "Рубин",
  "Север",
  "Восток",
  "Гранит",
  "Луч",
  "Орбита",
  "Бриз",
  "Ритм",
  "Сокол",
];
const COUNTRIES = [
  "Россия",
  "Беларусь",
  "Китай",
  "Турция",
  "Германия",
  "Польша",
  "Италия",
  "Корея",
];
const MATERIALS = [
  "Нержавеющая сталь",
  "Пластик",
  "Стекло",
  "Алюминий",
  "Керамика",
  "Чугун",
  "Силикон",
];
const MODEL_PREFIXES = ["ТК", "ЭВ", "МХ", "ПР", "СТ", "ЛЮКС", "ЭКО", "ПРО"];
const SERIES = ["Домашний", "Классика", "Премиум", "Семейный", "Компакт"];
const SIZES = ["S", "M", "L", "XL"];
const COLORS = ["Белый", "Чёрный", "Серый", "Красный", "Синий", "Бежевый"];
const PRICE_TYPE_NAMES = [
  "Розничная",
  "Оптовая",
  "Закупочная",
  "Интернет-магазин",
  "Мелкооптовая",
  "Дилерская",
];
const WAREHOUSE_NAMES = [
  "Основной склад",
  "Склад «Москва»",
  "Склад «Санкт-Петербург»",
  "Склад «Екатеринбург»",
  "Склад «Новосибирск»",
];
const SENTENCES = [
  "Корпус выполнен из прочных материалов и не нагревается при работе.",
  "Модель оснащена защитой от перегрева и автоматическим отключением.",
  "Удобная ручка и продуманная эргономика делают использование приятным.",
  "Подходит для ежедневного использования дома и на даче.",
  "Гарантия производителя — 24 месяца, сервисные центры по всей России.",
  "В комплект входят инструкция на русском языке и гарантийный талон.",
  "Низкий уровень шума позволяет пользоваться прибором в любое время суток.",
  "Съёмные детали можно мыть в посудомоечной машине.",
  "Световой индикатор показывает, что прибор включён.",
  "Компактные размеры позволяют хранить его даже на небольшой кухне.",
  "Экономичное энергопотребление соответствует классу А+.",
  "Шнур питания длиной 1,5 м убирается в специальный отсек.",
  "Комплект №2 дополнен запасным фильтром и мерной ложкой.",
  "Прибор прошёл сертификацию и соответствует требованиям ЕАЭС.",
  "Нескользящие ножки обеспечивают устойчивость на любой поверхности.",
  "Цвет корпуса может незначительно отличаться от изображения на сайте.",
  "Рекомендуем ознакомиться с инструкцией перед первым включением.",
];
const PROPERTIES: ReadonlyArray<
  { name: string; type: "Справочник" | "Число" | "Строка"; values: readonly string[] }
> = [
  { name: "Производитель", type: "Справочник", values: BRANDS },
  { name: "Страна происхождения", type: "Справочник", values: COUNTRIES },
  { name: "Мощность, Вт", type: "Число", values: [] },
  { name: "Объём, л", type: "Число", values: [] },
  { name: "Материал корпуса", type: "Строка", values: [] },
];
