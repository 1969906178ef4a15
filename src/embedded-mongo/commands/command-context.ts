import type { Document } from 'bson';
import type { CommandMetrics } from '../command-metrics.js';
import type { CursorRegistry } from '../cursors.js';
import { CommandError } from '../errors.js';
import type { Storage } from '../storage/storage.js';

export interface CommandContext {
  /** The command document; its first key names the command. */
  body: Document;
  /** `$db`: the database the command runs against. */
  database: string;
  storage: Storage;
  cursors: CursorRegistry;
  metrics: CommandMetrics;
  connectionId: number;
}

export type CommandHandler = (context: CommandContext) => Document | Promise<Document>;

/** The collection name a command addresses in its first field (`{ find: "users", ... }`). */
export function targetCollection(body: Document): string {
  const name: unknown = body[Object.keys(body)[0]];
  if (typeof name !== 'string' || name.length === 0) {
    throw new CommandError('InvalidNamespace', `collection name has invalid type ${typeof name}`);
  }
  return name;
}

export function optionalDocument(body: Document, field: string): Document | undefined {
  const value: unknown = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${Array.isArray(value) ? 'array' : typeof value}', expected type 'object'`,
    );
  }
  return value;
}

export function optionalNumber(body: Document, field: string): number | undefined {
  const value: unknown = body[field];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number))
    throw new CommandError('TypeMismatch', `BSON field '${field}' is the wrong type, expected a number`);
  return number;
}

export function requiredArray(body: Document, field: string): Document[] {
  const value: unknown = body[field];
  if (!Array.isArray(value))
    throw new CommandError('FailedToParse', `BSON field '${field}' is missing or not an array`);
  // The elements are what the driver serialized; each command checks the fields it reads.
  return value as Document[];
}

/** Fields any command may carry that are not options of the command itself. */
const GENERIC_FIELDS = new Set([
  'lsid',
  'writeConcern',
  'readConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

/** The command's own options: every field but its name, `$`-prefixed and generic ones. */
export function commandOptions(body: Document): Document {
  const [name] = Object.keys(body);
  return Object.fromEntries(
    Object.entries(body).filter(([key]) => key !== name && !key.startsWith('$') && !GENERIC_FIELDS.has(key)),
  );
}
