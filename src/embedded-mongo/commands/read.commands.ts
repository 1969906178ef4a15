import { Long, type Document } from '../bson.js';
import { Aggregator, ProcessingMode } from 'mingo';
import { CommandError } from '../errors.js';
import { findDocuments } from '../query/matcher.js';
import { equalityKey, valuesAtPath } from '../storage/values.js';
import { optionalDocument, optionalNumber, requiredArray, targetCollection, type CommandHandler } from './command-context.js';

const find: CommandHandler = ({ body, database, storage, cursors }) => {
  const name = targetCollection(body);
  const limit = optionalNumber(body, 'limit');
  const results = findDocuments(storage.collection(database, name), optionalDocument(body, 'filter'), {
    sort: optionalDocument(body, 'sort'),
    skip: optionalNumber(body, 'skip'),
    limit,
    projection: optionalDocument(body, 'projection'),
  });
  const cursor = cursors.open(`${database}.${name}`, results, {
    batchSize: optionalNumber(body, 'batchSize'),
    singleBatch: body.singleBatch === true || (limit !== undefined && limit < 0),
    noTimeout: body.noCursorTimeout === true,
  });
  return { cursor, ok: 1 };
};

const getMore: CommandHandler = ({ body, database, cursors }) => {
  const id = body.getMore;
  if (!Long.isLong(id)) throw new CommandError('TypeMismatch', "Field 'getMore' must be of type long");
  if (typeof body.collection !== 'string') throw new CommandError('TypeMismatch', "Field 'collection' must be of type string");
  return { cursor: cursors.getMore(id, `${database}.${body.collection}`, optionalNumber(body, 'batchSize')), ok: 1 };
};

const killCursors: CommandHandler = ({ body, cursors }) => {
  const ids = requiredArray(body, 'cursors') as unknown[];
  return { ...cursors.kill(ids.map((id) => (Long.isLong(id) ? id : Long.fromNumber(Number(id))))), cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

const count: CommandHandler = ({ body, database, storage }) => {
  const name = targetCollection(body);
  const collection = storage.collection(database, name);
  const query = optionalDocument(body, 'query');
  const skip = optionalNumber(body, 'skip') ?? 0;
  const limit = Math.abs(optionalNumber(body, 'limit') ?? 0);
  let n = !query || Object.keys(query).length === 0 ? (collection?.count ?? 0) : findDocuments(collection, query).length;
  n = Math.max(0, n - skip);
  return { n: limit ? Math.min(n, limit) : n, ok: 1 };
};

const distinct: CommandHandler = ({ body, database, storage }) => {
  const name = targetCollection(body);
  if (typeof body.key !== 'string') throw new CommandError('TypeMismatch', "BSON field 'distinct.key' is missing or not a string");
  const seen = new Map<string, unknown>();
  for (const document of findDocuments(storage.collection(database, name), optionalDocument(body, 'query'))) {
    for (const value of valuesAtPath(document, body.key)) {
      if (value !== undefined && !seen.has(equalityKey(value))) seen.set(equalityKey(value), value);
    }
  }
  return { values: [...seen.values()], ok: 1 };
};

/** Stages that never modify their input documents, so those need no copy. */
const NON_MUTATING_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$project']);
const WRITING_STAGES = new Set(['$out', '$merge']);

const aggregate: CommandHandler = ({ body, database, storage, cursors }) => {
  const pipeline = requiredArray(body, 'pipeline');
  const stageNames = pipeline.map((stage) => Object.keys(stage)[0]);
  const writing = stageNames.find((stage) => WRITING_STAGES.has(stage));
  if (writing) throw new CommandError('IllegalOperation', `${writing} is not supported by the embedded server`);
  const name = body.aggregate === 1 ? undefined : targetCollection(body);
  // A leading $match picks candidates through the indexes, like mongod's planner.
  const leadingMatch = stageNames[0] === '$match' ? (pipeline[0].$match as Document) : undefined;
  const input = name ? findDocuments(storage.collection(database, name), leadingMatch) : [];
  const rest = leadingMatch ? pipeline.slice(1) : pipeline;
  let results: Document[];
  try {
    results = new Aggregator(rest, {
      processingMode: stageNames.every((stage) => NON_MUTATING_STAGES.has(stage)) ? ProcessingMode.CLONE_OFF : ProcessingMode.CLONE_INPUT,
      collectionResolver: (other: string) => [...(storage.collection(database, other)?.all() ?? [])],
    }).run(input) as Document[];
  } catch (error) {
    throw new CommandError('BadValue', (error as Error).message);
  }
  const cursorOptions = optionalDocument(body, 'cursor');
  const cursor = cursors.open(`${database}.${name ?? '$cmd.aggregate'}`, results, { batchSize: optionalNumber(cursorOptions ?? {}, 'batchSize') });
  return { cursor, ok: 1 };
};

export const readCommands: Record<string, CommandHandler> = { find, getMore, killCursors, count, distinct, aggregate };
