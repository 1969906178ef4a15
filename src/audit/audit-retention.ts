import type { AuditEventModel } from './audit-event.model.js';

/** The TTL index that deletes audit events once they are older than the retention. */
export const AUDIT_TTL_INDEX = 'createdAt_ttl';

const DAY_SECONDS = 24 * 60 * 60;
/** MongoDB's error code for dropping an index that is not there. */
const INDEX_NOT_FOUND = 27;

/**
 * Makes audit events expire `retentionDays` after their `createdAt`, through
 * a TTL index. A deployment that has the index with another retention gets
 * it dropped and built again with this one: MongoDB's collMod could change it
 * in place, but the embedded server has no collMod, and one way for both keeps
 * the path tested. Processes starting together with the same setting end
 * with the same index whatever their order.
 */
export async function applyAuditRetention(events: AuditEventModel, retentionDays: number): Promise<void> {
  const expireAfterSeconds = retentionDays * DAY_SECONDS;
  const collection = events.collection;
  const indexes = (await collection.listIndexes().toArray()) as Array<{ name?: string; expireAfterSeconds?: number }>;
  const existing = indexes.find((index) => index.name === AUDIT_TTL_INDEX);
  if (existing?.expireAfterSeconds === expireAfterSeconds) return;
  if (existing) {
    await collection.dropIndex(AUDIT_TTL_INDEX).catch((error: { code?: number }) => {
      if (error.code !== INDEX_NOT_FOUND) throw error; // another process dropped it first
    });
  }
  await collection.createIndex({ createdAt: 1 }, { name: AUDIT_TTL_INDEX, expireAfterSeconds });
}
