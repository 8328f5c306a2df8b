/**
 * A 1C counterparty (src/customers/counterparty-reader.ts) as customer fields.
 *
 * Individual or legal entity follows the two halves of the CommerceML Контрагент type: an
 * organisation has ОфициальноеНаименование / ЮридическийАдрес / КПП, a person ПолноеНаименование
 * / Фамилия / Имя / АдресРегистрации. A field 1C leaves empty is "1C does not say", never "erase
 * it on the platform": buyers in order documents carry only a name.
 */
import type { CustomerType } from "../../db/schema-customers.ts";
import type { CounterpartyRecord } from "./counterparty-reader.ts";
import { clean, type CustomerFields } from "./customer-fields.ts";
import { parseWallClock } from "./zoned-time.ts";

/** What 1C says about one customer; null fields are ones it did not fill. */
export interface IncomingCustomer {
  onecId: string;
  version: string | null;
  fields: Omit<CustomerFields, "customerType"> & { customerType: CustomerType };
  /**
   * The customer type follows from fields only a person or only an organisation has; when it
   * was merely guessed (a bare name), it is used for a new customer but changes no existing one.
   */
  typeKnown: boolean;
  /** 1C's time for this data (the file's ДатаФормирования); null when the file does not say. */
  changedAt: Date | null;
  /** Where it came from, for messages: "line 12". */
  origin: string;
}

export type MappedCounterparty =
  | { ok: true; customer: IncomingCustomer }
  | { ok: false; reason: string };

/** Роль values that name the other side of a deal, not a customer. */
const NOT_CUSTOMERS = new Set(["продавец", "поставщик", "seller", "supplier"]);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function mapCounterparty(
  r: CounterpartyRecord,
  opts: { timeZone: string; roleRequisite: string },
): MappedCounterparty {
  if (r.deleted) return { ok: false, reason: `${r.id}: marked for deletion in 1C` };
  if (r.role !== null && NOT_CUSTOMERS.has(r.role.toLowerCase())) {
    return { ok: false, reason: `${r.id}: Роль ${r.role} is not a customer` };
  }
  const { customerType, known: typeKnown } = typeOf(r);
  let lastName = clean(r.lastName);
  let firstName = clean(r.firstName);
  if (customerType === "individual" && lastName === null && firstName === null) {
    // Russian full names are "Фамилия Имя Отчество".
    const words = (clean(r.fullName) ?? clean(r.name) ?? "").split(" ").filter(Boolean);
    if (words.length >= 2) [lastName, firstName] = [words[0], words[1]];
    else if (words.length === 1) firstName = words[0];
  }
  return {
    ok: true,
    customer: {
      onecId: r.id,
      version: r.version,
      fields: {
        email: emailOf(r),
        phone: phoneOf(r),
        firstName,
        lastName,
        companyName: customerType === "legal_entity"
          ? clean(r.officialName) ?? clean(r.name) ?? clean(r.fullName)
          : null,
        taxId: clean(r.taxId),
        kpp: clean(r.kpp),
        customerType,
        role: clean(r.requisites[opts.roleRequisite]),
        contactPerson: contactOf(r),
        address: clean(r.addresses["Адрес"]) ?? clean(r.addresses["ЮридическийАдрес"]) ??
          clean(r.addresses["АдресРегистрации"]),
      },
      typeKnown,
      changedAt: parseWallClock(r.fileDate, opts.timeZone),
      origin: `line ${r.line}`,
    },
  };
}

function typeOf(r: CounterpartyRecord): { customerType: CustomerType; known: boolean } {
  if (clean(r.officialName) || r.addresses["ЮридическийАдрес"] || clean(r.kpp)) {
    return { customerType: "legal_entity", known: true };
  }
  if (
    clean(r.lastName) || clean(r.firstName) || clean(r.middleName) ||
    r.addresses["АдресРегистрации"]
  ) {
    return { customerType: "individual", known: true };
  }
  // Bitrix writes ПолноеНаименование for the site's buyers, who are people.
  if (clean(r.fullName)) return { customerType: "individual", known: false };
  // Only a name: a 10-digit ИНН is an organisation's (a person's has 12); the platform is B2B.
  const inn = clean(r.taxId);
  return { customerType: inn?.length === 12 ? "individual" : "legal_entity", known: false };
}

function emailOf(r: CounterpartyRecord): string | null {
  const typed = r.contacts.find((c) => /почт|mail/i.test(c.type) && EMAIL.test(c.value.trim()));
  const any = typed ?? r.contacts.find((c) => EMAIL.test(c.value.trim()));
  return any ? any.value.trim() : null;
}

function phoneOf(r: CounterpartyRecord): string | null {
  const phones = r.contacts.filter((c) =>
    /телефон|phone/i.test(c.type) && !/факс|fax/i.test(c.type)
  );
  // A mobile number reaches a person; prefer it when 1C lists several.
  const mobile = phones.find((c) => /мобильн|mobile/i.test(c.type));
  return clean((mobile ?? phones[0])?.value);
}

function contactOf(r: CounterpartyRecord): string | null {
  // Bitrix writes "<>" for an unnamed contact: a name has at least one letter.
  const named = r.representatives.filter((p) => /\p{L}/u.test(p.name));
  const contact = named.find((p) => /контакт/i.test(p.relation ?? "")) ?? named[0];
  return clean(contact?.name);
}
