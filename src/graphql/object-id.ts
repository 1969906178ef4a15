import { Types } from 'mongoose';
import { badInput } from '../errors.js';

/** An `ID!` argument as an ObjectId; anything else is BAD_USER_INPUT naming the field, never a cast error. */
export function parseObjectId(field: string, value: string): Types.ObjectId {
  if (!/^[0-9a-f]{24}$/i.test(value)) throw badInput(field, `${field} is not a valid id.`);
  return new Types.ObjectId(value);
}

/** An optional `ID` argument: undefined when absent or null, else as parseObjectId. */
export function optionalObjectId(field: string, value: string | null | undefined): Types.ObjectId | undefined {
  return value === undefined || value === null ? undefined : parseObjectId(field, value);
}
