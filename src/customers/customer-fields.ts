/**
 * The customer's own fields, their normalised forms, and the "significant" subset whose change
 * must reach 1C (issue 4: "email, phone, names, company, tax id, КПП, role").
 */
import { createHash } from "node:crypto";
import type { Selectable } from "kysely";
import type { CustomerTable, CustomerType } from "../../db/schema-customers.ts";
import { toE164 } from "./phone.ts";

export interface CustomerFields {
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  companyName: string | null;
  taxId: string | null;
  kpp: string | null;
  customerType: CustomerType;
  role: string | null;
  contactPerson: string | null;
  address: string | null;
}

export type CustomerRow = Selectable<CustomerTable>;

export const FIELD_NAMES = [
  "email",
  "phone",
  "firstName",
  "lastName",
  "companyName",
  "taxId",
  "kpp",
  "customerType",
  "role",
  "contactPerson",
  "address",
] as const satisfies readonly (keyof CustomerFields)[];

/** A change to one of these on the platform is sent to 1C; others (address, contact) are not. */
export const SIGNIFICANT_FIELDS = [
  "email",
  "phone",
  "firstName",
  "lastName",
  "companyName",
  "taxId",
  "kpp",
  "role",
] as const satisfies readonly (keyof CustomerFields)[];

/** Blank means absent: "" and "  " are stored as null. */
export function clean(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const t = value.trim().replace(/\s+/g, " ");
  return t === "" ? null : t;
}

/** "Identity by email" compares trimmed, lower-cased addresses. */
export function normalizeEmail(email: string | null | undefined): string | null {
  const t = email?.trim().toLowerCase();
  return t ? t : null;
}

/**
 * The full name as identity resolution compares it: case, ё/е and word order do not matter
 * ("Иванов Иван" is "иван иванов"). A legal entity without a person's name goes by its company.
 */
export function nameKey(
  f: Pick<CustomerFields, "firstName" | "lastName" | "companyName">,
): string | null {
  const person = [f.lastName, f.firstName].filter(Boolean).join(" ");
  const text = person !== "" ? person : f.companyName ?? "";
  const words = text.toLowerCase().replaceAll("ё", "е").split(/[\s,.]+/).filter(Boolean);
  return words.length === 0 ? null : words.sort().join(" ");
}

/** Two values are the same field value for sync purposes (email case and phone form ignored). */
export function sameValue(
  field: keyof CustomerFields,
  a: string | null,
  b: string | null,
  countryCode: string,
): boolean {
  if (field === "email") return normalizeEmail(a) === normalizeEmail(b);
  if (field === "phone") {
    return (toE164(a, countryCode) ?? clean(a)) === (toE164(b, countryCode) ?? clean(b));
  }
  return clean(a) === clean(b);
}

/** sha256 of the significant fields in normalised form: "does 1C have this version?" */
export function significantHash(f: CustomerFields, countryCode: string): string {
  const values = SIGNIFICANT_FIELDS.map((k) => {
    if (k === "email") return normalizeEmail(f.email);
    if (k === "phone") return toE164(f.phone, countryCode) ?? clean(f.phone);
    return clean(f[k]);
  });
  return sha256(JSON.stringify(values));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function rowToFields(row: CustomerRow): CustomerFields {
  return {
    email: row.email,
    phone: row.phone,
    firstName: row.first_name,
    lastName: row.last_name,
    companyName: row.company_name,
    taxId: row.tax_id,
    kpp: row.kpp,
    customerType: row.customer_type,
    role: row.role,
    contactPerson: row.contact_person,
    address: row.address,
  };
}

/** The columns that hold `f`, with the normalised identity keys derived from it. */
export function fieldColumns(f: CustomerFields, countryCode: string) {
  return {
    email: clean(f.email),
    email_normalized: normalizeEmail(f.email),
    phone: clean(f.phone),
    phone_e164: toE164(f.phone, countryCode),
    first_name: clean(f.firstName),
    last_name: clean(f.lastName),
    company_name: clean(f.companyName),
    tax_id: clean(f.taxId),
    kpp: clean(f.kpp),
    customer_type: f.customerType,
    role: clean(f.role),
    contact_person: clean(f.contactPerson),
    address: clean(f.address),
  };
}
