import type { Document } from 'bson';
import { cloneDocument, equalityKey, isPlainDocument } from '../storage/values.js';

type Operator = '$set' | '$unset' | '$inc';
type Change = { operator: Operator; parts: string[]; operand: unknown };

/**
 * Applies `$set`, `$unset` and `$inc` on paths through embedded documents
 * (what the services' updates are) to `next` in place and says whether it
 * changed; returns undefined, having touched nothing, for anything else:
 * other operators, positional or array paths, conflicting paths, a
 * non-number to increment. mingo's updater copies its operator tables and
 * recompiles the filter for every update, which made a one-field `$set` cost
 * more than the find that located the document.
 */
export function applySimpleModifier(next: Document, modifier: Document): boolean | undefined {
  const changes: Change[] = [];
  for (const [operator, fields] of Object.entries(modifier)) {
    if (operator !== '$set' && operator !== '$unset' && operator !== '$inc') return undefined;
    if (!isPlainDocument(fields) || Object.keys(fields).length === 0) return undefined;
    for (const [path, operand] of Object.entries(fields)) {
      if (operator === '$inc' && (typeof operand !== 'number' || !Number.isFinite(operand))) return undefined;
      const parts = path.split('.');
      if (parts.some((part) => part.length === 0 || part.startsWith('$'))) return undefined;
      const reached = walk(next, parts);
      if (reached === undefined) return undefined;
      if (
        operator === '$inc' &&
        reached !== MISSING &&
        reached.value !== undefined &&
        typeof reached.value !== 'number'
      )
        return undefined;
      changes.push({ operator, parts, operand });
    }
  }
  if (conflicting(changes.map((change) => change.parts.join('.')))) return undefined;
  let changed = false;
  for (const change of changes) changed = apply(next, change) || changed;
  return changed;
}

const MISSING = Symbol('a document on the path is missing');

/** The path's current value; MISSING when a document on the way is absent; undefined when it meets an array or a non-document. */
function walk(document: Document, parts: string[]): { value: unknown } | typeof MISSING | undefined {
  let node: Document = document;
  for (let i = 0; i < parts.length - 1; i++) {
    const child: unknown = node[parts[i]];
    if (child === undefined) return MISSING;
    if (!isPlainDocument(child)) return undefined;
    node = child;
  }
  return { value: node[parts[parts.length - 1]] };
}

function apply(document: Document, { operator, parts, operand }: Change): boolean {
  let parent: Document = document;
  for (const part of parts.slice(0, -1)) {
    if (parent[part] === undefined) {
      if (operator === '$unset') return false;
      parent[part] = {};
    }
    parent = parent[part] as Document;
  }
  const field = parts[parts.length - 1];
  const current: unknown = parent[field];
  switch (operator) {
    case '$set':
      if (current !== undefined && sameValue(current, operand)) return false;
      parent[field] = cloneDocument(operand);
      return true;
    case '$unset':
      if (!Object.prototype.hasOwnProperty.call(parent, field)) return false;
      delete parent[field];
      return true;
    case '$inc':
      if (current !== undefined && operand === 0) return false;
      parent[field] = ((current as number | undefined) ?? 0) + (operand as number);
      return true;
  }
}

/** Equal and of one type: 1 and Long(1) are equal to a query but not the same stored value. */
function sameValue(a: unknown, b: unknown): boolean {
  const type = (value: unknown) =>
    value === null
      ? 'null'
      : typeof value === 'object'
        ? ((value as { _bsontype?: string })._bsontype ??
          (value instanceof Date ? 'date' : Array.isArray(value) ? 'array' : 'object'))
        : typeof value;
  return type(a) === type(b) && equalityKey(a) === equalityKey(b);
}

/** Two paths where one is, or lies inside, the other: mongod refuses them, and mingo says how. */
function conflicting(paths: string[]): boolean {
  return paths.some((a, i) => paths.some((b, j) => i !== j && (a === b || b.startsWith(a + '.'))));
}
