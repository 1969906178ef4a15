import type { Types } from 'mongoose';

/** Forward pagination over records in `_id` order: at most `first`, after the record `after`. */
export interface Page {
  first: number;
  after?: Types.ObjectId;
}
