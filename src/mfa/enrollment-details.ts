import { createUnionType, type ClassType } from 'type-graphql';

/**
 * The plugins whose detail types make up EnrollmentDetails for the schema
 * being built. type-graphql keeps its metadata in one global store, so the
 * union is declared once and its members are read from here when
 * `buildSchemaSync` resolves the thunk: set it right before building.
 */
let memberTypes: ClassType[] = [];

export function useEnrollmentDetailTypes(types: ClassType[]): void {
  memberTypes = types;
}

export const EnrollmentDetails = createUnionType({
  name: 'EnrollmentDetails',
  description: "What a factor plugin shows once at enrollment (e.g. the TOTP secret and QR code). Plugins add members.",
  types: () => memberTypes as [ClassType, ...ClassType[]],
  resolveType: (value) => memberTypes.find((type) => value instanceof type),
});
