import { CommandError } from '../errors.js';
import { compileFilter } from '../query/matcher.js';
import type { IndexSpec } from '../storage/collection-index.js';
import {
  commandOptions,
  optionalDocument,
  requiredArray,
  targetCollection,
  type CommandHandler,
} from './command-context.js';

const create: CommandHandler = async ({ body, database, storage }) => {
  const name = targetCollection(body);
  const batch = storage.batch();
  batch.createCollection(database, name, commandOptions(body));
  await batch.commit();
  return { ok: 1 };
};

const drop: CommandHandler = async ({ body, database, storage }) => {
  const name = targetCollection(body);
  const collection = storage.collection(database, name);
  // Since MongoDB 7.0 dropping a missing collection succeeds.
  if (!collection) return { ok: 1 };
  const batch = storage.batch();
  batch.dropCollection(collection);
  await batch.commit();
  return { nIndexesWas: collection.indexSpecs().length, ns: collection.namespace, ok: 1 };
};

const dropDatabase: CommandHandler = async ({ database, storage }) => {
  const batch = storage.batch();
  batch.dropDatabase(database);
  await batch.commit();
  return { dropped: database, ok: 1 };
};

const listCollections: CommandHandler = ({ body, database, storage, cursors }) => {
  const filter = compileFilter(optionalDocument(body, 'filter'));
  const infos = storage
    .collections(database)
    .map((collection) => ({
      name: collection.name,
      type: 'collection',
      options: collection.options,
      info: { readOnly: false, uuid: collection.uuid },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }))
    .filter((info) => filter.test(info))
    .map((info) => (body.nameOnly === true ? { name: info.name, type: info.type } : info));
  const cursorOptions = optionalDocument(body, 'cursor') ?? {};
  return {
    cursor: cursors.open(`${database}.$cmd.listCollections`, infos, {
      batchSize: cursorOptions.batchSize as number | undefined,
    }),
    ok: 1,
  };
};

const listDatabases: CommandHandler = ({ body, storage }) => {
  const filter = compileFilter(optionalDocument(body, 'filter'));
  const databases = storage
    .databaseNames()
    .map((name) => ({
      name,
      sizeOnDisk: 0,
      empty: storage.collections(name).every((collection) => collection.count === 0),
    }))
    .filter((info) => filter.test(info));
  if (body.nameOnly === true) return { databases: databases.map(({ name }) => ({ name })), ok: 1 };
  return { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
};

const createIndexes: CommandHandler = async ({ body, database, storage }) => {
  const name = targetCollection(body);
  const specs = requiredArray(body, 'indexes') as IndexSpec[];
  for (const spec of specs) validateIndexSpec(spec);
  const existed = storage.collection(database, name) !== undefined;
  const batch = storage.batch();
  const collection = batch.collection(database, name);
  const numIndexesBefore = collection.indexSpecs().length;
  let created = 0;
  try {
    for (const spec of specs) if (batch.createIndex(collection, spec)) created++;
  } finally {
    await batch.commit();
  }
  return {
    numIndexesBefore,
    numIndexesAfter: collection.indexSpecs().length,
    createdCollectionAutomatically: !existed,
    ...(created === 0 ? { note: 'all indexes already exist' } : {}),
    ok: 1,
  };
};

function validateIndexSpec(spec: IndexSpec): void {
  if (typeof spec !== 'object' || spec === null)
    throw new CommandError('TypeMismatch', 'index specification must be an object');
  if (typeof spec.key !== 'object' || spec.key === null || Object.keys(spec.key).length === 0) {
    throw new CommandError('CannotCreateIndex', 'Index keys cannot be empty.');
  }
  if (typeof spec.name !== 'string' || spec.name.length === 0)
    throw new CommandError('CannotCreateIndex', "The 'name' field is a required property of an index specification");
  if (
    spec.expireAfterSeconds !== undefined &&
    (typeof spec.expireAfterSeconds !== 'number' || spec.expireAfterSeconds < 0)
  ) {
    throw new CommandError('CannotCreateIndex', "TTL index 'expireAfterSeconds' option must be a non-negative number");
  }
}

const listIndexes: CommandHandler = ({ body, database, storage, cursors }) => {
  const name = targetCollection(body);
  const collection = storage.collection(database, name);
  if (!collection) throw new CommandError('NamespaceNotFound', `ns does not exist: ${database}.${name}`);
  const cursorOptions = optionalDocument(body, 'cursor') ?? {};
  return {
    cursor: cursors.open(collection.namespace, collection.indexSpecs(), {
      batchSize: cursorOptions.batchSize as number | undefined,
    }),
    ok: 1,
  };
};

const dropIndexes: CommandHandler = async ({ body, database, storage }) => {
  const name = targetCollection(body);
  const collection = storage.collection(database, name);
  if (!collection) throw new CommandError('NamespaceNotFound', `ns not found ${database}.${name}`);
  const nIndexesWas = collection.indexSpecs().length;
  const requested: unknown = body.index;
  let names: string[];
  if (requested === '*')
    names = collection
      .indexSpecs()
      .slice(1)
      .map((spec) => spec.name);
  else if (typeof requested === 'string') names = [requested];
  else if (Array.isArray(requested)) names = requested.map(String);
  else if (typeof requested === 'object' && requested !== null) {
    const found = collection.findIndexName(requested);
    if (!found) throw new CommandError('IndexNotFound', `can't find index with key: ${JSON.stringify(requested)}`);
    names = [found];
  } else throw new CommandError('TypeMismatch', "BSON field 'dropIndexes.index' is missing or of the wrong type");
  const batch = storage.batch();
  try {
    for (const indexName of names) batch.dropIndex(collection, indexName);
  } finally {
    await batch.commit();
  }
  return { nIndexesWas, ok: 1 };
};

export const adminCommands: Record<string, CommandHandler> = {
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
