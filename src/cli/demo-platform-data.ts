/**
 * The platform half of `deno task demo`: a few customers and orders created through the
 * public API (the same calls a shop would make), on top of the generated demo catalog.
 * Deterministic, and safe to run again: customers are matched by email, orders are only
 * added to an empty order book. The first two price types become the "retail" and
 * "wholesale" roles the demo customers have, so `?role=` reads show their prices.
 */
import { offerPrice, priceTypeId } from "../commerceml/generator.ts";

export type ApiCall = (method: string, path: string, body?: unknown) => Promise<Response>;

export interface DemoPlatformOptions {
  /** Products in the demo catalog. */
  products: number;
  /** Offer Ид values of product `i` (the generator's, for the same options). */
  offerIds: (i: number) => string[];
}

export interface DemoPlatformResult {
  customersCreated: number;
  customersKept: number;
  ordersCreated: number;
}

const CUSTOMERS = [
  { firstName: "Анна", lastName: "Смирнова", email: "anna.smirnova@example.com", role: "retail" },
  { firstName: "Иван", lastName: "Петров", email: "ivan.petrov@example.com", role: "retail" },
  {
    companyName: "ООО «Ромашка»",
    email: "zakaz@romashka.example.com",
    taxId: "7701234567",
    kpp: "770101001",
    role: "wholesale",
    customerType: "legal_entity",
  },
  {
    companyName: "ИП Кузнецов",
    email: "kuznetsov@example.com",
    taxId: "500100732259",
    role: "wholesale",
    customerType: "legal_entity",
  },
  { firstName: "Мария", lastName: "Иванова", email: "m.ivanova@example.com", role: "retail" },
] as const;

export async function loadDemoCustomersAndOrders(
  api: ApiCall,
  opts: DemoPlatformOptions,
): Promise<DemoPlatformResult> {
  const result: DemoPlatformResult = { customersCreated: 0, customersKept: 0, ordersCreated: 0 };
  for (const [p, role] of ["retail", "wholesale"].entries()) {
    const res = await api("PUT", `/price-types/${priceTypeId(p)}`, { role });
    if (!res.ok) throw new Error(`PUT /price-types (${role}): ${await describe(res)}`);
    await res.body?.cancel();
  }
  const customerIds: string[] = [];
  for (const [n, c] of CUSTOMERS.entries()) {
    const body = {
      customerType: "individual",
      phone: `+7 900 000-00-${String(n + 10)}`,
      ...c,
    };
    const res = await api("POST", "/customers", body);
    if (res.ok) {
      customerIds.push((await json<{ id: string }>(res)).id);
      result.customersCreated++;
      continue;
    }
    if (res.status !== 409) throw new Error(`POST /customers ${c.email}: ${await describe(res)}`);
    await res.body?.cancel();
    const found = await api("GET", `/customers?email=${encodeURIComponent(c.email)}`);
    const page = await json<{ items: { id: string }[] }>(found);
    if (page.items[0]) customerIds.push(page.items[0].id);
    result.customersKept++;
  }

  const existing = await json<{ items: unknown[] }>(await api("GET", "/orders?limit=1"));
  if (existing.items.length > 0) return result;
  for (const [n, customerId] of customerIds.entries()) {
    const items = [0, 1, 2].slice(0, 1 + (n % 3)).map((k) => {
      const product = (n * 7 + k * 13) % opts.products;
      const offers = opts.offerIds(product);
      const variant = k % offers.length;
      return {
        offerId: offers[variant],
        quantity: 1 + k,
        price: Number(offerPrice({ products: opts.products }, product, 0, variant)),
      };
    });
    const res = await api("POST", "/orders", {
      customerId,
      items,
      currency: "RUB",
      delivery: { method: "Курьер", address: "Москва, ул. Демонстрационная, 1", price: 300 },
      paymentMethod: "Картой на сайте",
      comment: "Demo order (deno task demo)",
    });
    if (!res.ok) throw new Error(`POST /orders: ${await describe(res)}`);
    await res.body?.cancel();
    result.ordersCreated++;
  }
  return result;
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: ${await describe(res)}`);
  return await res.json() as T;
}

async function describe(res: Response): Promise<string> {
  return `${res.status} ${(await res.text()).slice(0, 500)}`;
}
