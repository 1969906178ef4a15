import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApp } from './test-app.js';

/** GET /readyz: its status code and body. */
export async function readiness(app: TestApp): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${app.url}/readyz`);
  return { status: response.status, body: await response.json() };
}

/** Polls /readyz until it answers `status`: losing and regaining Redis is noticed asynchronously. */
export async function readinessBecomes(
  app: TestApp,
  status: number,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let last = await readiness(app);
  while (last.status !== status && Date.now() < deadline) {
    await sleep(100);
    last = await readiness(app);
  }
  return last;
}
