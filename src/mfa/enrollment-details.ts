import type { GraphQLSchema } from 'graphql';
import { createUnionType, type ClassType } from 'type-graphql';

/**
 * type-graphql keeps its metadata in one global store, so the union is
 * declared once; its members come from the plugins of the schema being built
 * (read when `buildSchemaSync` resolves the thunk) and are remembered per
 * schema, because several schemas with different plugins may serve in one
 * process (tests, embedding) and each must resolve only its own members.
 */
let building: ClassType[] = [];
const membersBySchema = new WeakMap<GraphQLSchema, ClassType[]>();

/** Builds a schema whose EnrollmentDetails union holds exactly `types`. */
export function withEnrollmentDetailTypes(types: ClassType[], build: () => GraphQLSchema): GraphQLSchema {
  building = types;
  const schema = build();
  membersBySchema.set(schema, types);
  return schema;
}

export const EnrollmentDetails = createUnionType({
  name: 'EnrollmentDetails',
  description: 'What a factor plugin shows once at enrollment (e.g. the TOTP secret and QR code). Plugins add members.',
  types: () => building as [ClassType, ...ClassType[]],
  resolveType: (value, _context, info) =>
    (membersBySchema.get(info.schema) ?? building).find((type) => value instanceof type),
});
