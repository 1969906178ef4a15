import type { Document } from 'bson';
import { equalityKey, isPlainDocument } from '../storage/values.js';

/**
 * A compiled filter's verdict on one document: `undefined` when the document
 * holds something this compiler leaves to mingo (an array on the path, a BSON
 * number object under a range), so the caller asks mingo instead.
 */
export type SimplePredicate = (document: Document) => boolean | undefined;

/**
 * Compiles the filters services send on every request (`{ _id }`,
 * `{ userId, status }`, `$exists`, `$lt` on a date, `$or` of those) to plain
 * JavaScript, or returns undefined for anything else. Building a mingo Query
 * copies its whole operator table each time, which made compiling cost more
 * than matching. Comparisons are between scalars only, where mongod's rules
 * are short: equality by `equalityKey` (numbers across types), ranges within
 * one type bracket (numbers, dates), null meaning null or missing.
 */
export function compileSimpleFilter(filter: Document): SimplePredicate | undefined {
  const clauses: SimplePredicate[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    let clause: SimplePredicate | undefined;
    if (key === '$and' || key === '$or' || key === '$nor') clause = logical(key, condition);
    else if (!key.startsWith('$') && key.length > 0) clause = fieldClause(key, condition);
    if (!clause) return undefined;
    clauses.push(clause);
  }
  return clauses.length === 1 ? clauses[0] : all(clauses);
}

function logical(operator: '$and' | '$or' | '$nor', condition: unknown): SimplePredicate | undefined {
  if (!Array.isArray(condition) || condition.length === 0) return undefined;
  const parts: SimplePredicate[] = [];
  for (const part of condition) {
    const compiled = isPlainDocument(part) ? compileSimpleFilter(part) : undefined;
    if (!compiled) return undefined;
    parts.push(compiled);
  }
  if (operator === '$and') return all(parts);
  const either = any(parts);
  return operator === '$or' ? either : (document) => not(either(document));
}

/** Kleene logic: a definite false (true) decides a conjunction (disjunction) even when another part is undecided. */
function all(parts: SimplePredicate[]): SimplePredicate {
  return (document) => {
    let verdict: boolean | undefined = true;
    for (const part of parts) {
      const result = part(document);
      if (result === false) return false;
      if (result === undefined) verdict = undefined;
    }
    return verdict;
  };
}

function any(parts: SimplePredicate[]): SimplePredicate {
  return (document) => {
    let verdict: boolean | undefined = false;
    for (const part of parts) {
      const result = part(document);
      if (result === true) return true;
      if (result === undefined) verdict = undefined;
    }
    return verdict;
  };
}

function not(verdict: boolean | undefined): boolean | undefined {
  return verdict === undefined ? undefined : !verdict;
}

/** Marks a path that runs through an array: which elements it reaches is left to mingo. */
const THROUGH_ARRAY = Symbol('through an array');

function valueAt(document: Document, parts: string[]): unknown {
  let value: unknown = document;
  for (const part of parts) {
    if (Array.isArray(value)) return THROUGH_ARRAY;
    if (!isPlainDocument(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** One operator's verdict on the value a path reaches (an array included: most leave that to mingo). */
type ValueTest = (value: unknown) => boolean | undefined;

function fieldClause(path: string, condition: unknown): SimplePredicate | undefined {
  const parts = path.split('.');
  if (parts.some((part) => part.length === 0)) return undefined;
  const tests: ValueTest[] = [];
  if (isPlainDocument(condition)) {
    const operators = Object.keys(condition);
    if (operators.length === 0 || !operators.every((operator) => operator.startsWith('$'))) return undefined;
    for (const operator of operators) {
      const test = operatorTest(operator, condition[operator]);
      if (!test) return undefined;
      tests.push(test);
    }
  } else {
    const test = equals(condition);
    if (!test) return undefined;
    tests.push(test);
  }
  const read =
    parts.length === 1
      ? (document: Document): unknown => document[path]
      : (document: Document) => valueAt(document, parts);
  return (document) => {
    const value = read(document);
    if (value === THROUGH_ARRAY) return undefined;
    let verdict: boolean | undefined = true;
    for (const test of tests) {
      const result = test(value);
      if (result === false) return false;
      if (result === undefined) verdict = undefined;
    }
    return verdict;
  };
}

function operatorTest(operator: string, operand: unknown): ValueTest | undefined {
  switch (operator) {
    case '$eq':
      return equals(operand);
    case '$ne': {
      const test = equals(operand);
      return test && ((value) => not(test(value)));
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand)) return undefined;
      const tests = operand.map(equals);
      if (!tests.every((test) => test !== undefined)) return undefined;
      const inList: ValueTest = (value) => {
        let verdict: boolean | undefined = false;
        for (const test of tests) {
          const result = test(value);
          if (result === true) return true;
          if (result === undefined) verdict = undefined;
        }
        return verdict;
      };
      return operator === '$in' ? inList : (value) => not(inList(value));
    }
    case '$exists': {
      if (typeof operand !== 'boolean') return undefined;
      return (value) => (value !== undefined) === operand; // an array exists whatever it holds
    }
    case '$lt':
    case '$lte':
    case '$gt':
    case '$gte':
      return range(operator, operand);
    default:
      return undefined;
  }
}

/** Scalar operands only, against scalar values: documents, arrays and regular expressions are left to mingo. */
function equals(operand: unknown): ValueTest | undefined {
  if (operand === null) return (value) => (Array.isArray(value) ? undefined : value === null || value === undefined);
  if (operand === undefined || Array.isArray(operand) || operand instanceof RegExp || isPlainDocument(operand))
    return undefined;
  const bsonType = (operand as { _bsontype?: string })._bsontype;
  if (bsonType === 'BSONRegExp' || bsonType === 'Code' || bsonType === 'MinKey' || bsonType === 'MaxKey')
    return undefined;
  if (typeof operand === 'number' && Number.isNaN(operand)) return undefined;
  if (operand instanceof Date && Number.isNaN(operand.getTime())) return undefined;
  const key = equalityKey(operand);
  return (value) => {
    if (value === undefined || value === null) return false;
    if (Array.isArray(value)) return undefined;
    return equalityKey(value) === key;
  };
}

/** mongod compares only within a type bracket: a number range never matches a date, a string or null. */
function range(operator: '$lt' | '$lte' | '$gt' | '$gte', operand: unknown): ValueTest | undefined {
  let bound: number;
  let bracket: 'number' | 'date';
  if (typeof operand === 'number' && !Number.isNaN(operand)) [bound, bracket] = [operand, 'number'];
  else if (operand instanceof Date && !Number.isNaN(operand.getTime())) [bound, bracket] = [operand.getTime(), 'date'];
  else return undefined;
  const compare = COMPARE[operator];
  return (value) => {
    if (typeof value === 'number')
      return bracket === 'number' ? (Number.isNaN(value) ? undefined : compare(value, bound)) : false;
    if (value instanceof Date)
      return bracket === 'date' ? (Number.isNaN(value.getTime()) ? undefined : compare(value.getTime(), bound)) : false;
    if (
      value === undefined ||
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      isPlainDocument(value)
    )
      return false;
    return undefined; // arrays, Int32, Long, Decimal128, Timestamp…: mingo knows their brackets
  };
}

const COMPARE = {
  $lt: (a: number, b: number) => a < b,
  $lte: (a: number, b: number) => a <= b,
  $gt: (a: number, b: number) => a > b,
  $gte: (a: number, b: number) => a >= b,
};
