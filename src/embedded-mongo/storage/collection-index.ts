import type { Document } from 'bson';
import { Query } from 'mingo';
import { cartesian, equalityKey, valuesAtPath } from './values.js';

/** An index as `createIndexes` describes it and `listIndexes` returns it. */
export interface IndexSpec {
  v?: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

/** The options whose difference makes two indexes on the same key different indexes. */
const DEFINING_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds'] as const;

export function sameIndexOptions(a: IndexSpec, b: IndexSpec): boolean {
  return DEFINING_OPTIONS.every((option) => equalityKey(a[option] ?? null) === equalityKey(b[option] ?? null));
}

export function sameKeyPattern(a: Document, b: Document): boolean {
  return equalityKey(a) === equalityKey(b);
}

/**
 * A hashed index: each key maps to the ids of the documents holding it, so
 * equality lookups and unique checks cost the same at any collection size.
 */
export class CollectionIndex {
  readonly fields: string[];
  private readonly entries = new Map<string, Set<string>>();
  private readonly partialFilter?: Query;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    if (spec.partialFilterExpression) this.partialFilter = new Query(spec.partialFilterExpression);
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  /**
   * Whether every document that can hold these key values is in the index. A
   * sparse index leaves out only documents missing all its fields, which no
   * non-null equality matches; a partial one leaves out documents by filter.
   */
  covers(values: unknown[]): boolean {
    if (this.partialFilter) return false;
    return !this.spec.sparse || values.every((value) => value !== null && value !== undefined);
  }

  /** The index keys of a document, or none when sparse/partial rules leave it out. */
  keysOf(document: Document): string[] {
    if (this.partialFilter && !this.partialFilter.test(document)) return [];
    const perField = this.fields.map((field) => valuesAtPath(document, field));
    if (this.spec.sparse && perField.every((values) => values.length === 1 && values[0] === undefined)) return [];
    const keys = new Set<string>();
    for (const combination of cartesian(perField)) keys.add(this.keyOfValues(combination));
    return [...keys];
  }

  keyOfValues(values: unknown[]): string {
    return values.length === 1 ? equalityKey(values[0]) : JSON.stringify(values.map(equalityKey));
  }

  /** The first key of `keys` already held by a document other than `ownId`. */
  conflict(keys: string[], ownId: string): string | undefined {
    if (!this.unique) return undefined;
    for (const key of keys) {
      const holders = this.entries.get(key);
      if (holders && (holders.size > 1 || !holders.has(ownId))) return key;
    }
    return undefined;
  }

  add(keys: string[], id: string): void {
    for (const key of keys) {
      let holders = this.entries.get(key);
      if (!holders) this.entries.set(key, (holders = new Set()));
      holders.add(id);
    }
  }

  remove(keys: string[], id: string): void {
    for (const key of keys) {
      const holders = this.entries.get(key);
      if (!holders) continue;
      holders.delete(id);
      if (holders.size === 0) this.entries.delete(key);
    }
  }

  lookup(key: string): Iterable<string> {
    return this.entries.get(key) ?? [];
  }

  /** `keyValue` for a duplicate key error: the offending document's values, by field. */
  keyValueOf(document: Document): Document {
    const keyValue: Document = {};
    for (const field of this.fields) keyValue[field] = valuesAtPath(document, field)[0] ?? null;
    return keyValue;
  }
}
