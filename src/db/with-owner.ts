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
  const found = await findOneJoined<T, User, never>(model, users, undefined, filter);
  return found && { record: found.record, owner: found.owner };
}

/**
 * As findOneWithOwner, and also the documents of `owned.model` whose `userId`
 * is that user and that match `owned.match` (their ACTIVE factors, say): a
 * third read in the same round trip. Both joins are equality $lookups (the
 * second in MongoDB 5.0's concise form, with a `$match`), which the embedded
 * server answers through the foreign collections' indexes (`_id`, and an
 * index over `userId` and the matched fields).
 */
export async function findOneWithOwnerAndOwned<T extends { userId: Types.ObjectId }, User, Owned>(
  model: Model<T>,
  users: Model<User>,
  owned: { model: Model<Owned>; match: Record<string, unknown> },
  filter: Record<string, unknown>,
): Promise<{ record: T; owner: User | undefined; owned: Owned[] } | undefined> {
  return findOneJoined(model, users, owned, filter);
}

async function findOneJoined<T extends { userId: Types.ObjectId }, User, Owned>(
  model: Model<T>,
  users: Model<User>,
  owned: { model: Model<Owned>; match: Record<string, unknown> } | undefined,
  filter: Record<string, unknown>,
): Promise<{ record: T; owner: User | undefined; owned: Owned[] } | undefined> {
  const [found] = await model.aggregate<T & { owner: User[]; owned?: Owned[] }>([
    { $match: filter },
    { $limit: 1 },
    { $lookup: { from: users.collection.collectionName, localField: 'userId', foreignField: '_id', as: 'owner' } },
    ...(owned
      ? [
          {
            $lookup: {
              from: owned.model.collection.collectionName,
              localField: 'userId',
              foreignField: 'userId',
              pipeline: [{ $match: owned.match }],
              as: 'owned',
            },
          },
        ]
      : []),
  ]);
  if (!found) return undefined;
  const { owner, owned: ownedDocuments = [], ...record } = found;
  return { record: record as unknown as T, owner: owner[0], owned: ownedDocuments };
}
