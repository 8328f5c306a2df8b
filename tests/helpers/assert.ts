/**
 * The assertions our tests use, with @std/assert's names and semantics, built on
 * node:assert. (This machine reaches the npm registry only, not JSR; deno.json maps
 * "@std/assert" here.)
 */
import nodeAssert from "node:assert/strict";

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(expr: unknown, msg = "expected a truthy value"): asserts expr {
  if (!expr) throw new AssertionError(msg);
}

export function assertFalse(expr: unknown, msg = "expected a falsy value"): void {
  if (expr) throw new AssertionError(msg);
}

export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  nodeAssert.strictEqual(actual, expected, msg);
}

export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === null || actual === undefined) {
    throw new AssertionError(msg ?? `expected a value, got ${actual}`);
  }
}

export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) {
    throw new AssertionError(msg ?? `expected ${JSON.stringify(actual)} to match ${expected}`);
  }
}

export function assertNotMatch(actual: string, expected: RegExp, msg?: string): void {
  if (expected.test(actual)) {
    throw new AssertionError(msg ?? `expected ${JSON.stringify(actual)} not to match ${expected}`);
  }
}

export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(
      msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    );
  }
}

export function assertArrayIncludes<T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
): void {
  const arr = Array.from(actual);
  for (const e of Array.from(expected)) {
    if (!arr.some((a) => isDeepEqual(a, e))) {
      throw new AssertionError(msg ?? `expected array to include ${JSON.stringify(e)}`);
    }
  }
}

export function assertInstanceOf<T extends abstract new (...args: never[]) => unknown>(
  actual: unknown,
  type: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  if (!(actual instanceof type)) {
    throw new AssertionError(msg ?? `expected an instance of ${type.name}`);
  }
}

export function assertGreater<T>(a: T, b: T, msg?: string): void {
  if (!(a > b)) throw new AssertionError(msg ?? `expected ${a} > ${b}`);
}
export function assertGreaterOrEqual<T>(a: T, b: T, msg?: string): void {
  if (!(a >= b)) throw new AssertionError(msg ?? `expected ${a} >= ${b}`);
}
export function assertLess<T>(a: T, b: T, msg?: string): void {
  if (!(a < b)) throw new AssertionError(msg ?? `expected ${a} < ${b}`);
}
export function assertLessOrEqual<T>(a: T, b: T, msg?: string): void {
  if (!(a <= b)) throw new AssertionError(msg ?? `expected ${a} <= ${b}`);
}

export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  msg?: string,
): void {
  if (Math.abs(actual - expected) > tolerance) {
    throw new AssertionError(msg ?? `expected ${actual} to be within ${tolerance} of ${expected}`);
  }
}

export function assertObjectMatch(
  actual: Record<PropertyKey, unknown>,
  expected: Record<PropertyKey, unknown>,
  msg?: string,
): void {
  const pick = (a: unknown, e: unknown): unknown => {
    if (e && typeof e === "object" && !Array.isArray(e) && a && typeof a === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(e)) {
        out[k] = pick((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k]);
      }
      return out;
    }
    return a;
  };
  nodeAssert.deepStrictEqual(pick(actual, expected), expected, msg);
}

type ErrorClass<E extends Error> = new (...args: never[]) => E;

export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
  msg?: string,
): E {
  try {
    fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes, msg);
    return e as E;
  }
  throw new AssertionError(msg ?? "expected the function to throw");
}

export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes, msg);
    return e as E;
  }
  throw new AssertionError(msg ?? "expected the promise to reject");
}

function checkError(
  e: unknown,
  ErrorClass?: ErrorClass<Error>,
  msgIncludes?: string,
  msg?: string,
) {
  if (ErrorClass && !(e instanceof ErrorClass)) {
    throw new AssertionError(
      msg ?? `expected ${ErrorClass.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`,
    );
  }
  if (msgIncludes !== undefined && !String((e as Error)?.message).includes(msgIncludes)) {
    throw new AssertionError(
      msg ??
        `expected the error message to include ${JSON.stringify(msgIncludes)}, got ${
          JSON.stringify((e as Error)?.message)
        }`,
    );
  }
}

export function fail(msg = "failed"): never {
  throw new AssertionError(msg);
}

export function unreachable(msg = "unreachable"): never {
  throw new AssertionError(msg);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    nodeAssert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
