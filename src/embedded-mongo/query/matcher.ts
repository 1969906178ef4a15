import type { Document } from 'bson';
import { Query } from 'mingo';
import { CommandError } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { compileSimpleFilter } from './simple-filter.js';

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

/** What a find needs of a filter: the simple compiler's verdict, with mingo asked only when it has none. */
export interface Matcher {
  test(document: Document): boolean;
  /** The mingo query, compiled on first use. */
  query(): Query;
}

export function compileMatcher(filter: Document | undefined): Matcher {
  const simple = compileSimpleFilter(filter ?? {});
  let mingo: Query | undefined = simple ? undefined : compileFilter(filter);
  const query = () => (mingo ??= compileFilter(filter));
  if (!simple) return { test: (document) => mingo!.test(document), query };
  return { test: (document) => simple(document) ?? query().test(document), query };
}

/** The matching documents, as stored (not copies): callers must not mutate them. */
export function findDocuments(collection: Collection | undefined, filter: Document | undefined, options: FindOptions = {}): Document[] {
  // Compiled first, so a bad filter fails even on a collection that does not exist, as mongod's does.
  const matcher = compileMatcher(filter);
  if (!collection) return [];
  const { sort, skip, limit, projection } = options;
  const hasProjection = projection !== undefined && Object.keys(projection).length > 0;
  const hasSort = sort !== undefined && Object.keys(sort).length > 0;
  if (!hasSort) {
    const found = take(collection.candidates(filter ?? {}), matcher, skip ?? 0, limit ?? 0);
    const project = hasProjection ? simpleProjection(projection) : identity;
    if (project) return project === identity ? found : found.map(project);
  }
  try {
    let cursor = matcher.query().find<Document>([...collection.candidates(filter ?? {})], hasProjection ? projection : undefined);
    if (hasSort) cursor = cursor.sort(sort);
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
  const project = simpleProjection(projection);
  if (project) return project(document);
  try {
    return new Query({}).find<Document>([document], projection).all()[0];
  } catch (error) {
    throw new CommandError('BadValue', (error as Error).message);
  }
}

/** Natural-order scan that stops as soon as `limit` documents matched. */
function take(documents: Iterable<Document>, matcher: Matcher, skip: number, limit: number): Document[] {
  const found: Document[] = [];
  let skipped = 0;
  const wanted = Math.abs(limit);
  for (const document of documents) {
    if (!matcher.test(document)) continue;
    if (skipped < skip) {
      skipped++;
      continue;
    }
    found.push(document);
    if (wanted && found.length >= wanted) break;
  }
  return found;
}

const identity = (document: Document) => document;

/**
 * Inclusion or exclusion of top-level fields (`{ a: 1, b: 1 }`, `{ _id: 0, a: 1 }`,
 * `{ secret: 0 }`) without mingo; undefined for anything else (dotted paths,
 * operators, computed fields). Fields keep their order in the document, as mongod's do.
 */
function simpleProjection(projection: Document): ((document: Document) => Document) | undefined {
  let mode: 'include' | 'exclude' | undefined;
  let includeId = true;
  const fields = new Set<string>();
  for (const [field, value] of Object.entries(projection)) {
    if (field.length === 0 || field.startsWith('$') || field.includes('.')) return undefined;
    let include: boolean;
    if (typeof value === 'boolean') include = value;
    else if (typeof value === 'number' && !Number.isNaN(value)) include = value !== 0;
    else return undefined;
    if (field === '_id') {
      includeId = include;
      continue;
    }
    const fieldMode = include ? 'include' : 'exclude';
    if (mode && mode !== fieldMode) return undefined; // mingo reports the mix
    mode = fieldMode;
    fields.add(field);
  }
  const exclude = mode === 'exclude' || (mode === undefined && !includeId);
  if (exclude && !includeId) fields.add('_id');
  return (document) => {
    const projected: Document = {};
    for (const key of Object.keys(document)) {
      const wanted = key === '_id' ? includeId : exclude ? !fields.has(key) : fields.has(key);
      if (wanted && document[key] !== undefined) projected[key] = document[key];
    }
    return projected;
  };
}
