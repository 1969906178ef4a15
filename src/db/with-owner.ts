import type { Model, Types } from 'mongoose';

/**
 * The one document of `model` matching `filter` (a unique key, such as a
 * token hash), with the user its `userId` names joined in by `$lookup`: a
 * credential and its owner in one database round trip instead of two, on
 * every authenticated request. `owner` is undefined when the user is gone.
 */
export async function findOneWithOwner<T extends { userId: Types.ObjectId }, User>(
  model: Model<T>,
  users: Model<User>,
  filter: Record<string, unknown>,
): Promise<{ record: T; owner: User | undefined } | undefined> {
  const [found] = await model.aggregate<T & { owner: User[] }>([
    { $match: filter },
    { $limit: 1 },
    { $lookup: { from: users.collection.collectionName, localField: 'userId', foreignField: '_id', as: 'owner' } },
  ]);
  if (!found) return undefined;
  const { owner, ...record } = found;
  return { record: record as unknown as T, owner: owner[0] };
}
