import { Long, ObjectId, type Document } from '../bson.js';
import { Aggregator, ProcessingMode } from 'mingo';
import { asBadValue, CommandError } from '../errors.js';
import { findDocuments } from '../query/matcher.js';
import type { Collection } from '../storage/collection.js';
import { cloneDocument, equalityKey, valuesAtPath } from '../storage/values.js';
import {
  optionalDocument,
  optionalNumber,
  requiredArray,
  targetCollection,
  type CommandHandler,
} from './command-context.js';

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
  const id: unknown = body.getMore;
  if (!Long.isLong(id)) throw new CommandError('TypeMismatch', "Field 'getMore' must be of type long");
  if (typeof body.collection !== 'string')
    throw new CommandError('TypeMismatch', "Field 'collection' must be of type string");
  return { cursor: cursors.getMore(id, `${database}.${body.collection}`, optionalNumber(body, 'batchSize')), ok: 1 };
};

const killCursors: CommandHandler = ({ body, cursors }) => {
  const ids = requiredArray(body, 'cursors') as unknown[];
  return {
    ...cursors.kill(ids.map((id) => (Long.isLong(id) ? id : Long.fromNumber(Number(id))))),
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
};

const count: CommandHandler = ({ body, database, storage }) => {
  const name = targetCollection(body);
  const collection = storage.collection(database, name);
  const query = optionalDocument(body, 'query');
  const skip = optionalNumber(body, 'skip') ?? 0;
  const limit = Math.abs(optionalNumber(body, 'limit') ?? 0);
  let n =
    !query || Object.keys(query).length === 0 ? (collection?.count ?? 0) : findDocuments(collection, query).length;
  n = Math.max(0, n - skip);
  return { n: limit ? Math.min(n, limit) : n, ok: 1 };
};

const distinct: CommandHandler = ({ body, database, storage }) => {
  const name = targetCollection(body);
  if (typeof body.key !== 'string')
    throw new CommandError('TypeMismatch', "BSON field 'distinct.key' is missing or not a string");
  const seen = new Map<string, unknown>();
  for (const document of findDocuments(storage.collection(database, name), optionalDocument(body, 'query'))) {
    for (const value of valuesAtPath(document, body.key)) {
      if (value !== undefined && !seen.has(equalityKey(value))) seen.set(equalityKey(value), value);
    }
  }
  return { values: [...seen.values()], ok: 1 };
};

/** Stages that never modify their input documents, so those need no copy. */
// Not $project: mingo removes excluded nested fields in place.
const NON_MUTATING_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group']);
const WRITING_STAGES = new Set(['$out', '$merge']);

const aggregate: CommandHandler = ({ body, database, storage, cursors }) => {
  const pipeline = requiredArray(body, 'pipeline');
  const stageNames = pipeline.map((stage) => Object.keys(stage)[0]);
  const writing = stageNames.find((stage) => WRITING_STAGES.has(stage));
  if (writing) throw new CommandError('IllegalOperation', `${writing} is not supported by the embedded server`);
  const name = body.aggregate === 1 ? undefined : targetCollection(body);
  // A leading $match picks candidates through the indexes, like mongod's planner.
  const leadingMatch = stageNames[0] === '$match' ? (pipeline[0].$match as Document) : undefined;
  let documents = name ? findDocuments(storage.collection(database, name), leadingMatch) : [];
  // The other stages run in mingo, except equality $lookups that the foreign collection's indexes can answer.
  let segment: Document[] = [];
  const runSegment = () => {
    // Stages such as mingo's own $lookup put documents of other collections into the results: copies, so that later stages cannot change the stored ones.
    if (segment.length > 0)
      documents = runInMingo(segment, documents, (other) =>
        [...(storage.collection(database, other)?.all() ?? [])].map(cloneDocument),
      );
    segment = [];
  };
  for (const stage of leadingMatch ? pipeline.slice(1) : pipeline) {
    const limit = plainLimitOf(stage);
    if (limit !== undefined) {
      // A $limit (as after a $match on a unique key) is a slice: no Aggregator built for it.
      runSegment();
      documents = documents.slice(0, limit);
      continue;
    }
    const lookup = equalityLookupOf(stage);
    if (!lookup) {
      segment.push(stage);
      continue;
    }
    runSegment(); // the join sees what the stages before it made
    const joined = lookupThroughIndexes(lookup, documents, storage.collection(database, lookup.from));
    if (joined) documents = joined;
    else segment.push(stage);
  }
  runSegment();
  const cursorOptions = optionalDocument(body, 'cursor');
  const cursor = cursors.open(`${database}.${name ?? '$cmd.aggregate'}`, documents, {
    batchSize: optionalNumber(cursorOptions ?? {}, 'batchSize'),
  });
  return { cursor, ok: 1 };
};

function runInMingo(
  stages: Document[],
  documents: Document[],
  collectionResolver: (name: string) => Document[],
): Document[] {
  return asBadValue(() =>
    new Aggregator(stages, {
      processingMode: stages.every((stage) => NON_MUTATING_STAGES.has(Object.keys(stage)[0]))
        ? ProcessingMode.CLONE_OFF
        : ProcessingMode.CLONE_INPUT,
      collectionResolver,
    }).run<Document>(documents),
  );
}

/** `{ $limit: n }` with n a positive whole number (mingo answers any other, and its refusals). */
function plainLimitOf(stage: Document): number | undefined {
  if (Object.keys(stage).length !== 1) return undefined;
  const limit: unknown = stage.$limit;
  return typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

type SimpleLookup = { from: string; localField: string; foreignField: string; as: string };
/** An equality $lookup, maybe with `$match` stages that narrow the joined documents (MongoDB 5.0's concise form). */
type EqualityLookup = SimpleLookup & { matches?: Document[] };

/**
 * `{ $lookup: { from, localField, foreignField, as } }` with plain field names, or that with a `pipeline` of
 * `$match` stages only (no `let`): the forms lookupThroughIndexes may answer. Undefined for any other stage. A
 * concise $lookup with other stages in its pipeline is refused: mingo would run that pipeline on the whole foreign
 * collection, not on the documents the equality joins, and answer wrongly.
 */
function equalityLookupOf(stage: Document): EqualityLookup | undefined {
  const spec: unknown = stage.$lookup;
  if (typeof spec !== 'object' || spec === null || Object.keys(stage).length !== 1) return undefined;
  const { from, localField, foreignField, as, pipeline, ...rest } = spec as Partial<
    Record<keyof SimpleLookup | 'pipeline', unknown>
  >;
  const isPlainField = (field: unknown): field is string =>
    typeof field === 'string' && field.length > 0 && !field.startsWith('$');
  if (localField === undefined || foreignField === undefined) return undefined; // the let/pipeline form: mingo's
  const matches = pipeline === undefined ? undefined : matchStagesOf(pipeline);
  if (pipeline !== undefined && !matches)
    throw new CommandError(
      'IllegalOperation',
      '$lookup with localField, foreignField and a pipeline of other stages than $match is not supported by the embedded server',
    );
  if (Object.keys(rest).length > 0) return undefined;
  if (!isPlainField(from) || !isPlainField(localField) || !isPlainField(foreignField) || !isPlainField(as))
    return undefined;
  if (localField.includes('.') || as.includes('.')) return undefined;
  return { from, localField, foreignField, as, ...(matches && matches.length > 0 ? { matches } : {}) };
}

/** The filters of a pipeline made of `$match` stages only, or undefined when it holds anything else. */
function matchStagesOf(pipeline: unknown): Document[] | undefined {
  if (!Array.isArray(pipeline)) return undefined;
  const matches: Document[] = [];
  for (const stage of pipeline as unknown[]) {
    if (typeof stage !== 'object' || stage === null || Object.keys(stage).length !== 1) return undefined;
    const match: unknown = (stage as Document).$match;
    if (typeof match !== 'object' || match === null || Array.isArray(match)) return undefined;
    matches.push(match);
  }
  return matches;
}

/**
 * An equality $lookup answered with one indexed query per document instead of
 * mingo's scan of the whole foreign collection: a local value `v` becomes
 * `{ [foreignField]: v }`, a local array `{ $in: array }`, a missing or null
 * one `{ [foreignField]: null }`, joined with the `$match` stages of a concise
 * $lookup into one filter (so an index over the foreign field and a matched
 * field answers it). Query equality is $lookup's (arrays in the foreign field
 * included). Undefined, and mingo runs the stage, when the foreign field has no
 * index (one scan beats one per document) or a local value is a document, a
 * regular expression or an empty array; a concise $lookup is answered here
 * even then, by a scan per document, as mingo would answer it wrongly.
 */
function lookupThroughIndexes(
  spec: EqualityLookup,
  documents: Document[],
  foreign: Collection | undefined,
): Document[] | undefined {
  const filters: Document[] = [];
  for (const document of documents) {
    const equality = equalityFilter(spec.foreignField, document[spec.localField]);
    if (!equality && spec.matches)
      throw new CommandError(
        'IllegalOperation',
        '$lookup with a pipeline and a local value that is a document, a regular expression or an empty array is not supported by the embedded server',
      );
    if (!equality) return undefined;
    const filter = spec.matches ? joinedFilter(equality, spec.matches) : equality;
    if (!spec.matches && foreign && !foreign.answersByIndex(filter)) return undefined;
    filters.push(filter);
  }
  // The joined documents are the stored ones: safe, as a segment with a stage that changes documents runs on deep copies (CLONE_INPUT).
  return documents.map((document, i) => ({ ...document, [spec.as]: findDocuments(foreign, filters[i]) }));
}

/** One filter for the equality and the matches: their fields side by side where no name repeats, else a `$and`. */
function joinedFilter(equality: Document, matches: Document[]): Document {
  const joined: Document = { ...equality };
  for (const match of matches) {
    if (Object.keys(match).some((name) => name in joined)) return { $and: [equality, ...matches] };
    Object.assign(joined, match);
  }
  return joined;
}

function equalityFilter(field: string, local: unknown): Document | undefined {
  if (local === undefined || local === null) return { [field]: null };
  if (isPlainScalar(local)) return { [field]: local };
  if (Array.isArray(local) && local.length > 0 && local.every((value) => value === null || isPlainScalar(value)))
    return { [field]: { $in: local } };
  return undefined;
}

/** Values whose query equality is plain equality: not arrays, documents (which could hold operators) or regular expressions. */
function isPlainScalar(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value)))
    return true;
  return value instanceof ObjectId || value instanceof Date;
}

export const readCommands: Record<string, CommandHandler> = { find, getMore, killCursors, count, distinct, aggregate };
