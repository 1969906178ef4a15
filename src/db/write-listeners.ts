import type { Connection, Query, Schema } from 'mongoose';

/** A write that changed (or may have changed) documents of a watched collection, as its filter names them. */
export interface ObservedWrite {
  /** The model's name: "User", "Session", "ApiKey". */
  model: string;
  /** The filter the write matched documents by; for a document saved or deleted by itself, `{ _id }`. */
  filter: Record<string, unknown>;
}

export type WriteListener = (write: ObservedWrite) => void;

/**
 * Listeners by connection: the schemas are shared by every app in a process (tests run several), while each app
 * has its own connection, so the hooks, added once per schema, find the app through the connection of the model
 * that wrote.
 */
const listeners = new WeakMap<Connection, WriteListener>();

/** Calls `listener` after every write, through any model of `connection`, to a collection whose schema is watched. */
export function onWrites(connection: Connection, listener: WriteListener): () => void {
  listeners.set(connection, listener);
  return () => {
    if (listeners.get(connection) === listener) listeners.delete(connection);
  };
}

const QUERY_WRITES = [
  'updateOne',
  'updateMany',
  'replaceOne',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'deleteOne',
  'deleteMany',
] as const;

/**
 * Makes every write through the schema's models known to the connection's listener, after it is applied. Writes
 * through the driver's collection (`Model.collection`) bypass it on purpose: use that only for writes that change
 * nothing a listener cares about (and say so there). A write that matched nothing is not reported.
 */
export function watchWrites(schema: Schema): void {
  schema.post([...QUERY_WRITES], { document: false, query: true }, function (this: Query<unknown, unknown>, result) {
    if (!changedAnything(result)) return;
    listeners.get(this.model.db)?.({ model: this.model.modelName, filter: this.getFilter() });
  });
  // `document.updateOne()` / `document.deleteOne()`: the document names itself.
  schema.post(['updateOne', 'deleteOne'], { document: true, query: false }, function () {
    const model = this.constructor as unknown as { modelName: string; db: Connection };
    listeners.get(model.db)?.({ model: model.modelName, filter: { _id: this._id } });
  });
  // An insert changes nothing anyone could have read before: only saves of existing documents are reported.
  schema.pre('save', function () {
    this.$locals.inserting = this.isNew;
  });
  schema.post('save', function () {
    if (this.$locals.inserting) return;
    const model = this.constructor as unknown as { modelName: string; db: Connection };
    listeners.get(model.db)?.({ model: model.modelName, filter: { _id: this._id } });
  });
  schema.post('bulkWrite', function (this: { modelName: string; db: Connection }) {
    // Which documents a bulk write touched is not cheaply known: everything of the model is reported.
    listeners.get(this.db)?.({ model: this.modelName, filter: {} });
  });
}

/** False only for a result that says plainly that nothing matched; an unknown shape counts as a change. */
function changedAnything(result: unknown): boolean {
  if (result === null) return false; // findOneAnd…: no document
  if (typeof result !== 'object') return true;
  const counts = result as { matchedCount?: unknown; deletedCount?: unknown; upsertedCount?: unknown };
  if (typeof counts.deletedCount === 'number') return counts.deletedCount > 0;
  if (typeof counts.matchedCount === 'number')
    return counts.matchedCount > 0 || (typeof counts.upsertedCount === 'number' && counts.upsertedCount > 0);
  return true;
}
