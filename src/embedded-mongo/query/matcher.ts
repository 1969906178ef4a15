import type { Document } from 'bson';
import { Query } from 'mingo';
import { CommandError } from '../errors.js';
import type { Collection } from '../storage/collection.js';

export interface FindOptions {
  sort?: Document;
  skip?: number;
  limit?: number;
  projection?: Document;
}

/** Compiles a query filter, reporting mingo's complaints as mongod's BadValue. */
export function compileFilter(filter: Document | undefined): Query {
  try {
    return new Query(filter ?? {});
  } catch (error) {
    throw new CommandError('BadValue', (error as Error).message);
  }
}

/** The matching documents, as stored (not copies): callers must not mutate them. */
export function findDocuments(collection: Collection | undefined, filter: Document | undefined, options: FindOptions = {}): Document[] {
  if (!collection) return [];
  const query = compileFilter(filter);
  const { sort, skip, limit, projection } = options;
  const hasProjection = projection !== undefined && Object.keys(projection).length > 0;
  if (!sort && !hasProjection) return take(collection.candidates(filter ?? {}), query, skip ?? 0, limit ?? 0);
  try {
    let cursor = query.find<Document>([...collection.candidates(filter ?? {})], hasProjection ? projection : undefined);
    if (sort && Object.keys(sort).length > 0) cursor = cursor.sort(sort);
    if (skip) cursor = cursor.skip(skip);
    if (limit) cursor = cursor.limit(Math.abs(limit));
    return cursor.all();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError('BadValue', (error as Error).message);
  }
}

/** `document` reduced to `projection`, as find's projection would return it. */
export function projectDocument(document: Document, projection: Document): Document {
  try {
    return new Query({}).find<Document>([document], projection).all()[0];
  } catch (error) {
    throw new CommandError('BadValue', (error as Error).message);
  }
}

/** Natural-order scan that stops as soon as `limit` documents matched. */
function take(documents: Iterable<Document>, query: Query, skip: number, limit: number): Document[] {
  const found: Document[] = [];
  let skipped = 0;
  const wanted = Math.abs(limit);
  for (const document of documents) {
    if (!query.test(document)) continue;
    if (skipped < skip) {
      skipped++;
      continue;
    }
    found.push(document);
    if (wanted && found.length >= wanted) break;
  }
  return found;
}
