import { EJSON, type Document } from '../bson.js';

/**
 * An equality key for any BSON value, equal exactly when mongod's comparison
 * says the values are equal: numbers compare by value across int, long,
 * double and decimal; null and a missing field are the same; embedded
 * documents compare field by field in order.
 */
export function equalityKey(value: unknown): string {
  if (value === undefined || value === null) return 'z';
  switch (typeof value) {
    case 'string':
      return 's' + value;
    case 'number':
      return 'n' + (Object.is(value, -0) ? 0 : value);
    case 'bigint':
      return 'n' + numberKey(value);
    case 'boolean':
      return value ? 'b1' : 'b0';
    case 'object':
      break;
    case 'symbol':
    case 'function':
      // No BSON value, keyed all the same.
      return 'u' + String(value);
  }
  if (value instanceof Date) return 'd' + value.getTime();
  if (Array.isArray(value)) return 'a' + JSON.stringify(value.map(equalityKey));
  const bsonType = (value as { _bsontype?: string })._bsontype;
  switch (bsonType) {
    case undefined:
      break;
    case 'ObjectId':
      return 'o' + (value as { toHexString(): string }).toHexString();
    case 'Int32':
    case 'Double':
      return 'n' + numberKey((value as { valueOf(): number }).valueOf());
    case 'Long':
    case 'Decimal128':
      return 'n' + numberKey(value);
    case 'Binary': {
      const binary = value as unknown as { sub_type: number; buffer: Uint8Array };
      return 'x' + binary.sub_type + ':' + Buffer.from(binary.buffer).toString('base64');
    }
    default:
      // Canonical Extended JSON, not String(): Code, DBRef, MinKey and MaxKey all print as [object Object].
      return bsonType + ':' + EJSON.stringify(value, { relaxed: false });
  }
  if (value instanceof RegExp) return 'r' + String(value);
  return 'O' + JSON.stringify(Object.entries(value as Document).map(([k, v]) => [k, equalityKey(v)]));
}

function numberKey(value: unknown): string {
  const text = String(value); // Long, Decimal128 and bigint print their exact value
  const asNumber = Number(text);
  // Values a double holds exactly share the double's spelling, so 1, 1.0 and Long(1) meet.
  if (Number.isFinite(asNumber) && (!Number.isInteger(asNumber) || Number.isSafeInteger(asNumber)))
    return String(asNumber);
  return text;
}

/** True for objects that are BSON values rather than embedded documents. */
export function isBsonValue(value: object): boolean {
  return (value as { _bsontype?: string })._bsontype !== undefined || value instanceof Date || value instanceof RegExp;
}

export function isPlainDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isBsonValue(value);
}

/**
 * Every value a dotted path reaches, descending into arrays as mongod's
 * multikey indexes do; a path that reaches nothing yields `undefined` once.
 */
export function valuesAtPath(document: Document, path: string): unknown[] {
  const out: unknown[] = [];
  collect(document, path.split('.'), 0, out);
  return out.length > 0 ? out : [undefined];
}

function collect(value: unknown, parts: string[], depth: number, out: unknown[]): void {
  if (depth === parts.length) {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(undefined);
      else out.push(...(value as unknown[]));
    } else if (value !== undefined) {
      out.push(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    const part = parts[depth];
    if (/^\d+$/.test(part)) collect(value[Number(part)], parts, depth + 1, out);
    for (const element of value) if (isPlainDocument(element)) collect(element, parts, depth, out);
    return;
  }
  if (isPlainDocument(value)) collect(value[parts[depth]], parts, depth + 1, out);
}

/** A deep copy that keeps BSON value objects (immutable) by reference. */
export function cloneDocument<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneDocument) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (!isPlainDocument(value)) return value;
  const copy: Document = {};
  for (const key of Object.keys(value)) copy[key] = cloneDocument<unknown>(value[key]);
  return copy as T;
}

/** Every way of picking one value from each list, in list order. */
export function* cartesian(lists: unknown[][]): Generator<unknown[]> {
  if (lists.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = lists;
  for (const tail of cartesian(rest)) for (const value of first) yield [value, ...tail];
}
