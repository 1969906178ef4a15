import type { Document } from 'bson';
import { Query } from 'mingo';
import { asBadValue } from '../errors.js';
import { cloneDocument } from '../storage/values.js';
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
  return asBadValue(() => new Query(filter ?? {}));
}

/** What a find needs of a filter: the simple compiler's verdict, with mingo asked only when it has none. */
export interface Matcher {
  test(document: Document): boolean;
  /** The mingo query, compiled on first use (a property, so it may be passed on unbound). */
  query: () => Query;
}

export function compileMatcher(filter: Document | undefined): Matcher {
  const simple = compileSimpleFilter(filter ?? {});
  let mingo: Query | undefined = simple ? undefined : compileFilter(filter);
  const query = () => (mingo ??= compileFilter(filter));
  if (!simple) return { test: (document) => mingo!.test(document), query };
  return { test: (document) => simple(document) ?? query().test(document), query };
}

/** The matching documents; without a projection, as stored (not copies): callers must not mutate them. */
export function findDocuments(
  collection: Collection | undefined,
  filter: Document | undefined,
  options: FindOptions = {},
): Document[] {
  // Compiled first, so a bad filter fails even on a collection that does not exist, as mongod's does.
  const matcher = compileMatcher(filter);
  if (!collection) return [];
  const { sort, skip, limit, projection } = options;
  const hasSort = sort !== undefined && Object.keys(sort).length > 0;
  // Without a sort the scan stops at the page; with one, every match is sorted first.
  const page = hasSort
    ? asBadValue(() => {
        let cursor = matcher
          .query()
          .find<Document>([...collection.candidates(filter ?? {})])
          .sort(sort);
        if (skip) cursor = cursor.skip(skip);
        if (limit) cursor = cursor.limit(Math.abs(limit));
        return cursor.all();
      })
    : take(collection.candidates(filter ?? {}), matcher, skip ?? 0, limit ?? 0);
  return projection !== undefined && Object.keys(projection).length > 0
    ? page.map(projector(projection, matcher.query))
    : page;
}

/** `document` reduced to `projection`, as find's projection would return it. */
export function projectDocument(document: Document, projection: Document): Document {
  return projector(projection, () => EVERYTHING)(document);
}

const EVERYTHING = new Query({});

/**
 * A projection: top-level fields directly, anything else through mingo (with
 * the filter's query, which positional `a.$` projections need). mingo removes
 * excluded nested fields from the very objects it is given, so it gets copies.
 */
function projector(projection: Document, query: () => Query): (document: Document) => Document {
  const simple = simpleProjection(projection);
  if (simple) return simple;
  return (document) =>
    asBadValue(
      () =>
        query()
          .find<Document>([cloneDocument(document)], projection)
          .all()[0],
    );
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
      const value: unknown = document[key];
      if (wanted && value !== undefined) projected[key] = value;
    }
    return projected;
  };
}
