import type { TestApp } from './test-app.js';

/** Connection upkeep the driver sends on its own, not work of the operation measured. */
const UPKEEP = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'serverStatus']);

/**
 * Per-command totals as mongod reports them (`serverStatus().metrics.commands`); the embedded server reports them
 * too. They count every client of the database, so through one app they also see what other apps on it sent.
 */
async function commandTotals(app: TestApp): Promise<Map<string, number>> {
  const status = (await app.database.connection.db!.admin().command({ serverStatus: 1 })) as {
    metrics?: { commands?: Record<string, { total: unknown }> };
  };
  const commands = status.metrics?.commands ?? {};
  return new Map(Object.entries(commands).map(([name, { total }]) => [name, Number(total)]));
}

/** The database commands — round trips — made while `operation` ran, by command name (upkeep left out). */
export async function commandsOf(app: TestApp, operation: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandTotals(app);
  await operation();
  const after = await commandTotals(app);
  const made: Record<string, number> = {};
  for (const [name, total] of after) {
    const count = total - (before.get(name) ?? 0);
    if (count > 0 && !UPKEEP.has(name)) made[name] = count;
  }
  return made;
}
