import { UUID, type Document } from '../bson.js';
import { CommandError } from '../errors.js';
import type { EmbeddedMongoLog } from '../options.js';
import { Collection, type ExecutorCounters } from './collection.js';
import type { IndexSpec } from './collection-index.js';
import { Journal, type JournalRecord } from './journal.js';

/**
 * All databases and collections in memory, with the journal behind them.
 * Changes go through a `WriteBatch`, which applies each one at once and
 * records it, so that a command's reply can wait for exactly its own records.
 */
export class Storage {
  private readonly databases = new Map<string, Map<string, Collection>>();
  private journal: Journal | undefined;
  readonly counters: ExecutorCounters = { scannedObjects: 0 };

  static async open(options: { dataDir?: string; log: EmbeddedMongoLog }): Promise<Storage> {
    const storage = new Storage();
    if (options.dataDir) {
      storage.journal = await Journal.open(
        options.dataDir,
        (record) => storage.replay(record),
        () => storage.snapshot(),
        options.log,
      );
    }
    return storage;
  }

  async close(): Promise<void> {
    await this.journal?.close();
  }

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  collections(database: string): Collection[] {
    return [...(this.databases.get(database)?.values() ?? [])];
  }

  allCollections(): Collection[] {
    return [...this.databases.values()].flatMap((collections) => [...collections.values()]);
  }

  collection(database: string, name: string): Collection | undefined {
    return this.databases.get(database)?.get(name);
  }

  batch(): WriteBatch {
    return new WriteBatch(this, (records) => this.journal?.append(records) ?? Promise.resolve());
  }

  /** @internal used by WriteBatch */
  addCollection(collection: Collection): void {
    collection.counters = this.counters;
    let collections = this.databases.get(collection.database);
    if (!collections) this.databases.set(collection.database, (collections = new Map<string, Collection>()));
    collections.set(collection.name, collection);
  }

  /** @internal used by WriteBatch */
  removeCollection(database: string, name: string): void {
    const collections = this.databases.get(database);
    collections?.delete(name);
    if (collections?.size === 0) this.databases.delete(database);
  }

  /** @internal used by WriteBatch */
  removeDatabase(database: string): void {
    this.databases.delete(database);
  }

  private replay(record: JournalRecord): void {
    const collection = 'coll' in record ? this.collection(record.db, record.coll) : undefined;
    switch (record.op) {
      case 'create':
        this.addCollection(
          new Collection(
            record.db,
            record.coll,
            record.options,
            new UUID((record.uuid.buffer ?? record.uuid) as Uint8Array | UUID),
          ),
        );
        return;
      case 'drop':
        this.removeCollection(record.db, record.coll);
        return;
      case 'dropDatabase':
        this.removeDatabase(record.db);
        return;
      case 'createIndex':
        collection?.createIndex(record.spec as IndexSpec);
        return;
      case 'dropIndex':
        collection?.dropIndex(record.name);
        return;
      case 'put': {
        const existing = collection?.findById(record.doc._id);
        if (existing) collection?.replace(existing, record.doc);
        else collection?.insert(record.doc);
        return;
      }
      case 'delete': {
        const existing = collection?.findById(record.id);
        if (existing) collection?.remove(existing);
        return;
      }
    }
  }

  private *snapshot(): Generator<JournalRecord> {
    for (const collection of this.allCollections()) {
      const { database: db, name: coll } = collection;
      yield { op: 'create', db, coll, options: collection.options, uuid: collection.uuid };
      for (const index of collection.secondaryIndexes()) yield { op: 'createIndex', db, coll, spec: index.spec };
      for (const doc of collection.all()) yield { op: 'put', db, coll, doc };
    }
  }
}

/** The changes of one command: applied immediately, durable once `commit()` resolves. */
export class WriteBatch {
  private readonly records: JournalRecord[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly persist: (records: JournalRecord[]) => Promise<void>,
  ) {}

  commit(): Promise<void> {
    return this.persist(this.records);
  }

  /** The collection, created implicitly as mongod does on first write. */
  collection(database: string, name: string): Collection {
    return this.storage.collection(database, name) ?? this.createCollection(database, name, {});
  }

  createCollection(database: string, name: string, options: Document): Collection {
    if (this.storage.collection(database, name)) {
      throw new CommandError('NamespaceExists', `Collection ${database}.${name} already exists.`);
    }
    validateNamespace(database, name);
    const collection = new Collection(database, name, options);
    this.storage.addCollection(collection);
    this.records.push({ op: 'create', db: database, coll: name, options, uuid: collection.uuid });
    return collection;
  }

  dropCollection(collection: Collection): void {
    this.storage.removeCollection(collection.database, collection.name);
    this.records.push({ op: 'drop', db: collection.database, coll: collection.name });
  }

  dropDatabase(database: string): void {
    this.storage.removeDatabase(database);
    this.records.push({ op: 'dropDatabase', db: database });
  }

  createIndex(collection: Collection, spec: IndexSpec): boolean {
    const created = collection.createIndex(spec);
    if (created) this.records.push({ op: 'createIndex', db: collection.database, coll: collection.name, spec });
    return created;
  }

  dropIndex(collection: Collection, name: string): void {
    collection.dropIndex(name);
    this.records.push({ op: 'dropIndex', db: collection.database, coll: collection.name, name });
  }

  insert(collection: Collection, doc: Document): void {
    collection.insert(doc);
    this.records.push({ op: 'put', db: collection.database, coll: collection.name, doc });
  }

  replace(collection: Collection, previous: Document, next: Document): void {
    collection.replace(previous, next);
    this.records.push({ op: 'put', db: collection.database, coll: collection.name, doc: next });
  }

  remove(collection: Collection, doc: Document): void {
    collection.remove(doc);
    this.records.push({ op: 'delete', db: collection.database, coll: collection.name, id: doc._id });
  }
}

function validateNamespace(database: string, name: string): void {
  if (!database || /[/\\. "$\0]/.test(database))
    throw new CommandError('InvalidNamespace', `Invalid database name: '${database}'`);
  if (!name || name.includes('\0') || name.includes('$') || name.startsWith('.')) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}
