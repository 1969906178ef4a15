import { Max, Min } from 'class-validator';
import { Types } from 'mongoose';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Page } from '../db/pagination.js';
import { badInput } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Relay-style forward pagination; the cursor is opaque to clients (an encoded record id). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `At most ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when unset.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string;
}

export function toPage(args: PageArgs): Page {
  return {
    first: args.first ?? DEFAULT_PAGE_SIZE,
    after: args.after === undefined || args.after === null ? undefined : decodeCursor(args.after),
  };
}

const encodeCursor = (id: Types.ObjectId): string => Buffer.from(id.toHexString(), 'hex').toString('base64url');

function decodeCursor(cursor: string): Types.ObjectId {
  const hex = /^[A-Za-z0-9_-]{16}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('hex') : '';
  if (hex.length !== 24) throw badInput('after', 'after is not a cursor this API gave out.');
  return new Types.ObjectId(hex);
}

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => String, { nullable: true })
  endCursor?: string;

  @Field(() => Boolean)
  hasNextPage!: boolean;
}

export interface Connection<Node> {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: PageInfo;
}

/** A `<Name>Connection` type with `edges { cursor node }` and `pageInfo`, per the Relay connection spec. */
export function connectionType<Node extends object>(
  name: string,
  nodeType: ClassType<Node>,
): ClassType<Connection<Node>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => nodeType)
    node!: Node;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionType;
}

/** A page from `page.first + 1` records fetched in cursor order (the extra one only says whether more follow). */
export function toConnection<R extends { _id: Types.ObjectId }, Node>(
  records: R[],
  page: Page,
  toNode: (record: R) => Node,
): Connection<Node> {
  const shown = records.slice(0, page.first);
  const edges = shown.map((record) => ({ cursor: encodeCursor(record._id), node: toNode(record) }));
  return { edges, pageInfo: { endCursor: edges.at(-1)?.cursor, hasNextPage: records.length > page.first } };
}
