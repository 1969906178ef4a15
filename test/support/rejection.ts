import assert from 'node:assert/strict';

/** What `promise` rejects with, checked to be a `type`; the test fails when it fulfils instead. */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected a ${type.name}, but the promise fulfilled`);
}
