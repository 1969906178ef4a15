import { UUID, type Document } from '../bson.js';
import { CommandError } from '../errors.js';
import { CollectionIndex, sameIndexOptions, sameKeyPattern, type IndexSpec } from './collection-index.js';
import { cartesian, equalityKey, isPlainDocument } from './values.js';

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** What mongod reports as `serverStatus().metrics.queryExecutor.scannedObjects`: documents a query examined. */
export interface ExecutorCounters {
  scannedObjects: number;
}

/**
 * One collection's documents in natural (insertion) order, keyed by `_id`,
 * with its hashed indexes. Every method either applies a whole change or
 * throws before touching anything, which is what makes single-document
 * writes atomic.
 */
export class Collection {
  private readonly documents = new Map<string, Document>();
  private readonly indexes = new Map<string, CollectionIndex>();
  /** Each document's place in natural order, so documents found through an index come back in the order a scan gives. */
  private readonly positions = new Map<string, number>();
  private nextPosition = 0;
  /** Replaced by the storage's, which totals every collection's. */
  counters: ExecutorCounters = { scannedObjects: 0 };

  constructor(
    readonly database: string,
    readonly name: string,
    readonly options: Document = {},
    readonly uuid: UUID = new UUID(),
  ) {}

  get namespace(): string {
    return `${this.database}.${this.name}`;
  }

  get count(): number {
    return this.documents.size;
  }

  all(): IterableIterator<Document> {
    return this.documents.values();
  }

  findById(id: unknown): Document | undefined {
    return this.documents.get(equalityKey(id));
  }

  insert(document: Document): void {
    const _id: unknown = document._id;
    const id = equalityKey(_id);
    if (this.documents.has(id)) throw this.duplicateKey('_id_', { _id: 1 }, { _id });
    const keys = this.checkUnique(document, id);
    this.documents.set(id, document);
    this.positions.set(id, this.nextPosition++);
    for (const [index, indexKeys] of keys) index.add(indexKeys, id);
  }

  /** Swaps `previous` for `next` (same `_id`), keeping every unique index true. */
  replace(previous: Document, next: Document): void {
    const id = equalityKey(previous._id);
    const keys = this.checkUnique(next, id);
    for (const index of this.indexes.values()) index.remove(index.keysOf(previous), id);
    this.documents.set(id, next);
    for (const [index, indexKeys] of keys) index.add(indexKeys, id);
  }

  remove(document: Document): void {
    const id = equalityKey(document._id);
    if (!this.documents.delete(id)) return;
    this.positions.delete(id);
    for (const index of this.indexes.values()) index.remove(index.keysOf(document), id);
  }

  /** Returns false when an identical index already exists. */
  createIndex(spec: IndexSpec): boolean {
    if (spec.name === ID_INDEX_SPEC.name || sameKeyPattern(spec.key, ID_INDEX_SPEC.key)) return false;
    for (const existing of this.indexes.values()) {
      const sameName = existing.name === spec.name;
      const sameKey = sameKeyPattern(existing.spec.key, spec.key);
      if (sameName && sameKey && sameIndexOptions(existing.spec, spec)) return false;
      if (sameName) {
        throw new CommandError(
          'IndexKeySpecsConflict',
          'An existing index has the same name as the requested index. ' +
            `Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`,
        );
      }
      if (sameKey && sameIndexOptions(existing.spec, spec)) {
        throw new CommandError('IndexOptionsConflict', `Index already exists with a different name: ${existing.name}`);
      }
    }
    const index = new CollectionIndex({ v: 2, ...spec });
    for (const [id, document] of this.documents) {
      const keys = index.keysOf(document);
      if (index.conflict(keys, id) !== undefined)
        throw this.duplicateKey(index.name, index.spec.key, index.keyValueOf(document));
      index.add(keys, id);
    }
    this.indexes.set(index.name, index);
    return true;
  }

  dropIndex(name: string): void {
    if (name === ID_INDEX_SPEC.name) throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!this.indexes.delete(name)) throw new CommandError('IndexNotFound', `index not found with name [${name}]`);
  }

  findIndexName(keyPattern: Document): string | undefined {
    if (sameKeyPattern(keyPattern, ID_INDEX_SPEC.key)) return ID_INDEX_SPEC.name;
    for (const index of this.indexes.values()) if (sameKeyPattern(index.spec.key, keyPattern)) return index.name;
    return undefined;
  }

  indexSpecs(): IndexSpec[] {
    return [ID_INDEX_SPEC, ...[...this.indexes.values()].map((index) => index.spec)];
  }

  secondaryIndexes(): Iterable<CollectionIndex> {
    return this.indexes.values();
  }

  /**
   * The documents that can match `filter`, in natural order: found through
   * `_id` or indexes where the filter's shape allows (see `indexedIds`), else
   * all of them. Callers still apply the full filter.
   */
  candidates(filter: Document): Iterable<Document> {
    const ids = this.indexedIds(filter);
    return this.examine(ids ? this.fetch(ids) : this.documents.values());
  }

  /** True when `_id` or an index answers `filter`'s equalities, so `candidates` does not scan. */
  answersByIndex(filter: Document): boolean {
    return this.indexedIds(filter) !== undefined;
  }

  /**
   * The ids of a superset of `filter`'s matches that `_id` or indexes give;
   * undefined when only a scan can answer it. As mongod's planner does, a
   * top-level `$and` is narrowed by any member an index answers (every match
   * satisfies each member), and a `$or` by the union of its branches only when
   * an index answers every branch (a match may satisfy any single one).
   */
  private indexedIds(filter: Document): Set<string> | undefined {
    const direct = this.equalityIds(filter);
    if (direct) return direct;
    const { $and, $or } = filter as { $and?: unknown; $or?: unknown };
    if (Array.isArray($and)) {
      for (const member of $and) {
        const ids = isPlainDocument(member) ? this.indexedIds(member) : undefined;
        if (ids) return ids;
      }
    }
    if (Array.isArray($or) && $or.length > 0) {
      const union = new Set<string>();
      for (const branch of $or) {
        const ids = isPlainDocument(branch) ? this.indexedIds(branch) : undefined;
        if (!ids) return undefined;
        for (const id of ids) union.add(id);
      }
      return union;
    }
    return undefined;
  }

  /** The ids `_id` or the first index whose every field `filter` pins by equality picks. */
  private equalityIds(filter: Document): Set<string> | undefined {
    const ids = equalityValues(filter, '_id');
    if (ids) return new Set(ids.map(equalityKey));
    indexes: for (const index of this.indexes.values()) {
      const perField = index.fields.map((field) => equalityValues(filter, field));
      if (perField.some((values) => values === undefined)) continue;
      const combinations = [...cartesian(perField as unknown[][])];
      for (const combination of combinations) if (!index.covers(combination)) continue indexes;
      const found = new Set<string>();
      for (const combination of combinations) {
        for (const id of index.lookup(index.keyOfValues(combination))) found.add(id);
      }
      return found;
    }
    return undefined;
  }

  /** The documents of `ids` in natural order (an index holds them in the order their keys were last written). */
  private fetch(ids: Set<string>): Document[] {
    const present = [...ids].filter((id) => this.documents.has(id));
    if (present.length > 1) present.sort((a, b) => this.positions.get(a)! - this.positions.get(b)!);
    return present.map((id) => this.documents.get(id)!);
  }

  private *examine(documents: Iterable<Document>): Generator<Document> {
    for (const document of documents) {
      this.counters.scannedObjects++;
      yield document;
    }
  }

  private checkUnique(document: Document, id: string): Array<[CollectionIndex, string[]]> {
    const keys: Array<[CollectionIndex, string[]]> = [];
    for (const index of this.indexes.values()) {
      const indexKeys = index.keysOf(document);
      if (index.conflict(indexKeys, id) !== undefined)
        throw this.duplicateKey(index.name, index.spec.key, index.keyValueOf(document));
      keys.push([index, indexKeys]);
    }
    return keys;
  }

  private duplicateKey(indexName: string, keyPattern: Document, keyValue: Document): CommandError {
    const shown = Object.entries(keyValue)
      .map(([field, value]) => `${field}: ${describeValue(value)}`)
      .join(', ');
    return new CommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.namespace} index: ${indexName} dup key: { ${shown} }`,
      {
        keyPattern,
        keyValue,
      },
    );
  }
}

/** The values a filter pins `field` to by plain equality (`v`, `{$eq: v}`, `{$in: [...]}`), if it does. */
function equalityValues(filter: Document, field: string): unknown[] | undefined {
  if (!Object.prototype.hasOwnProperty.call(filter, field)) return undefined;
  const condition: unknown = filter[field];
  if (!isPlainDocument(condition)) return isIndexableEquality(condition) ? [condition] : undefined;
  const operators = Object.keys(condition);
  if (operators.length === 0 || !operators[0].startsWith('$')) return [condition];
  if (operators.length !== 1) return undefined;
  if (operators[0] === '$eq') return isIndexableEquality(condition.$eq) ? [condition.$eq] : undefined;
  if (operators[0] === '$in' && Array.isArray(condition.$in) && condition.$in.every(isIndexableEquality))
    return condition.$in as unknown[];
  return undefined;
}

/** Arrays and regular expressions match in ways a hashed lookup cannot answer. */
function isIndexableEquality(value: unknown): boolean {
  if (Array.isArray(value) || value instanceof RegExp) return false;
  if (isPlainDocument(value)) return Object.keys(value).every((key) => !key.startsWith('$'));
  return (value as { _bsontype?: string } | null)?._bsontype !== 'BSONRegExp';
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const bsonType = (value as { _bsontype?: string } | null)?._bsontype;
  if (bsonType === 'ObjectId') return `ObjectId('${String(value)}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (isPlainDocument(value)) return JSON.stringify(value);
  return String(value);
}
