import { ObjectId, type Document } from '../bson.js';
import { CommandError } from '../errors.js';
import { findDocuments, projectDocument } from '../query/matcher.js';
import { updatedDocument, upsertSeed } from '../query/update.js';
import type { Collection } from '../storage/collection.js';
import type { WriteBatch } from '../storage/storage.js';
import {
  optionalDocument,
  requiredArray,
  targetCollection,
  type CommandContext,
  type CommandHandler,
} from './command-context.js';

/** What one statement adds to the reply: counts summed over statements, lists (`upserted`) concatenated. */
type StatementCounts = Record<string, number | Document[]>;

/**
 * Runs each statement of a write command in order. As in mongod, an ordered
 * command stops at the first failed statement and an unordered one goes on;
 * either way the reply lists the failures as `writeErrors`, and it is sent
 * only once every applied change is durable.
 */
async function runStatements(
  context: CommandContext,
  field: string,
  runOne: (statement: Document, batch: WriteBatch, collection: () => Collection) => StatementCounts,
): Promise<Document> {
  const { body, database, storage } = context;
  const name = targetCollection(body);
  const statements = requiredArray(body, field);
  const ordered = body.ordered !== false;
  const batch = storage.batch();
  const collection = () => batch.collection(database, name);
  const writeErrors: Document[] = [];
  const totals: StatementCounts = {};
  for (const [index, statement] of statements.entries()) {
    try {
      for (const [key, value] of Object.entries(runOne(statement, batch, collection))) {
        const total = totals[key];
        if (Array.isArray(value))
          totals[key] = [...(Array.isArray(total) ? total : []), ...value.map((entry) => ({ index, ...entry }))];
        else totals[key] = (typeof total === 'number' ? total : 0) + value;
      }
    } catch (error) {
      const failure =
        error instanceof CommandError ? error : new CommandError('OperationFailed', (error as Error).message);
      writeErrors.push(failure.toWriteError(index));
      if (ordered) break;
    }
  }
  await batch.commit();
  return {
    n: 0,
    ...(field === 'updates' ? { nModified: 0 } : {}),
    ...totals,
    ...(writeErrors.length > 0 ? { writeErrors } : {}),
    ok: 1,
  };
}

const insert: CommandHandler = (context) =>
  runStatements(context, 'documents', (document, batch, collection) => {
    batch.insert(collection(), withIdFirst(document));
    return { n: 1 };
  });

const update: CommandHandler = (context) =>
  runStatements(context, 'updates', (statement, batch, collection): StatementCounts => {
    const filter = (statement.q ?? {}) as Document;
    const spec = {
      update: statement.u as Document,
      filter,
      arrayFilters: statement.arrayFilters as Document[] | undefined,
    };
    if (spec.update === undefined || typeof spec.update !== 'object')
      throw new CommandError('FailedToParse', "BSON field 'update.updates.u' is missing");
    const existing = context.storage.collection(context.database, targetCollection(context.body));
    const matched = findDocuments(existing, filter, { limit: statement.multi === true ? 0 : 1 });
    if (matched.length === 0 && statement.upsert === true) {
      const created = withIdFirst(updatedDocument(upsertSeed(filter), spec, true) as Document);
      batch.insert(collection(), created);
      return { n: 1, nModified: 0, upserted: [{ _id: created._id }] };
    }
    let nModified = 0;
    for (const document of matched) {
      const next = updatedDocument(document, spec);
      if (!next) continue;
      batch.replace(collection(), document, next);
      nModified++;
    }
    return { n: matched.length, nModified };
  });

const deleteCommand: CommandHandler = (context) =>
  runStatements(context, 'deletes', (statement, batch) => {
    const collection = context.storage.collection(context.database, targetCollection(context.body));
    const matched = findDocuments(collection, (statement.q ?? {}) as Document, {
      limit: statement.limit === 1 ? 1 : 0,
    });
    for (const document of matched) batch.remove(collection as Collection, document);
    return { n: matched.length };
  });

const findAndModify: CommandHandler = async ({ body, database, storage }) => {
  const name = targetCollection(body);
  const filter = optionalDocument(body, 'query') ?? {};
  const projection = optionalDocument(body, 'fields');
  const batch = storage.batch();
  const [current] = findDocuments(storage.collection(database, name), filter, {
    sort: optionalDocument(body, 'sort'),
    limit: 1,
  });
  let value: Document | null = current ?? null;
  let lastErrorObject: Document;
  if (body.remove === true) {
    if (current) batch.remove(batch.collection(database, name), current);
    lastErrorObject = { n: current ? 1 : 0 };
  } else {
    const spec = { update: body.update as Document, filter, arrayFilters: body.arrayFilters as Document[] | undefined };
    if (spec.update === undefined || typeof spec.update !== 'object') {
      throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
    }
    if (current) {
      const next = updatedDocument(current, spec);
      if (next) batch.replace(batch.collection(database, name), current, next);
      if (body.new === true) value = next ?? current;
      lastErrorObject = { n: 1, updatedExisting: true };
    } else if (body.upsert === true) {
      const created = withIdFirst(updatedDocument(upsertSeed(filter), spec, true) as Document);
      batch.insert(batch.collection(database, name), created);
      value = body.new === true ? created : null;
      lastErrorObject = { n: 1, updatedExisting: false, upserted: created._id };
    } else {
      lastErrorObject = { n: 0, updatedExisting: false };
    }
  }
  await batch.commit();
  if (value && projection && Object.keys(projection).length > 0) {
    value = projectDocument(value, projection);
  }
  return { lastErrorObject, value, ok: 1 };
};

type StoredDocument = { _id: unknown; [field: string]: unknown };

/** mongod stores `_id` as the first field, generating an ObjectId when it is missing. */
function withIdFirst(document: Document): StoredDocument {
  if (Object.keys(document)[0] === '_id') return document as StoredDocument;
  const { _id: id, ...rest }: { _id?: unknown } = document;
  return { _id: id === undefined ? new ObjectId() : id, ...rest };
}

export const writeCommands: Record<string, CommandHandler> = { insert, update, delete: deleteCommand, findAndModify };
