import { ObjectId, type Document } from '../bson.js';
import { update as applyModifier, updateOne as applyPipeline } from 'mingo/updater';
import { asBadValue, CommandError } from '../errors.js';
import { cloneDocument, equalityKey, isPlainDocument } from '../storage/values.js';
import { applySimpleModifier } from './simple-update.js';

export interface UpdateSpec {
  /** An operator document, a replacement document, or an aggregation pipeline. */
  update: Document | Document[];
  filter: Document;
  arrayFilters?: Document[];
}

/**
 * The document after applying `spec` to a copy of `current`, or undefined when
 * nothing would change. `inserting` applies `$setOnInsert`, as for upserts.
 */
export function updatedDocument(current: Document, spec: UpdateSpec, inserting = false): Document | undefined {
  const next = cloneDocument(current);
  const changed = asBadValue(() =>
    Array.isArray(spec.update) ? applyPipelineUpdate(next, spec.update) : applyDocumentUpdate(next, spec, inserting),
  );
  if (!changed && !inserting) return undefined;
  if (!inserting && equalityKey(next._id) !== equalityKey(current._id)) {
    throw new CommandError(
      'ImmutableField',
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    );
  }
  return next;
}

function applyDocumentUpdate(next: Document, spec: UpdateSpec, inserting: boolean): boolean {
  const keys = Object.keys(spec.update);
  const operators = keys.filter((key) => key.startsWith('$'));
  if (operators.length === 0) return replaceContents(next, spec.update);
  if (operators.length !== keys.length) {
    throw new CommandError(
      'FailedToParse',
      `Unknown modifier: ${keys.find((key) => !key.startsWith('$'))}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  // Each operator's operand is a document of paths (`$set: { a: 1 }`); mingo rejects anything else.
  const { $setOnInsert, ...modifier } = spec.update as Record<string, Document | undefined>;
  if ($setOnInsert !== undefined && inserting) {
    for (const path of Object.keys($setOnInsert)) {
      if (modifier.$set && path in modifier.$set) {
        throw new CommandError(
          'ConflictingUpdateOperators',
          `Updating the path '${path}' would create a conflict at '${path}'`,
        );
      }
    }
    modifier.$set = { ...modifier.$set, ...$setOnInsert };
  }
  if (Object.keys(modifier).length === 0) return false;
  return (
    applySimpleModifier(next, modifier) ??
    applyModifier(next, modifier, spec.arrayFilters, spec.filter, { cloneMode: 'deep' }).length > 0
  );
}

function replaceContents(next: Document, replacement: Document): boolean {
  const before = equalityKey(next);
  const id: unknown = next._id;
  for (const key of Object.keys(next)) delete next[key];
  if (id !== undefined) next._id = id;
  for (const [key, value] of Object.entries<unknown>(replacement)) {
    if (key === '_id' && id !== undefined) {
      next._id = value; // checked against the original by the caller
      continue;
    }
    next[key] = cloneDocument(value);
  }
  return equalityKey(next) !== before;
}

function applyPipelineUpdate(next: Document, pipeline: Document[]): boolean {
  const documents = [next];
  const result = applyPipeline(documents, {}, pipeline as never);
  if (documents[0] !== next) {
    for (const key of Object.keys(next)) delete next[key];
    Object.assign(next, documents[0]);
  }
  return result.modifiedCount > 0;
}

/**
 * The document an upsert starts from: the filter's equality conditions
 * (`a: v`, `a: {$eq: v}`, and those inside `$and`), dotted paths expanded.
 */
export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  collectEqualities(filter, seed);
  if (seed._id === undefined) seed._id = new ObjectId();
  return seed;
}

function collectEqualities(filter: Document, seed: Document): void {
  for (const [path, condition] of Object.entries(filter)) {
    if (path === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainDocument(clause)) collectEqualities(clause, seed);
      continue;
    }
    if (path.startsWith('$')) continue;
    if (isPlainDocument(condition)) {
      const operators = Object.keys(condition);
      if (operators.length > 0 && operators[0].startsWith('$')) {
        if ('$eq' in condition) setPath(seed, path, cloneDocument(condition.$eq));
        continue;
      }
    }
    setPath(seed, path, cloneDocument(condition));
  }
}

function setPath(target: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const child: unknown = node[part];
    node = isPlainDocument(child) ? child : (node[part] = {});
  }
  node[parts[parts.length - 1]] = value;
}
