import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from '../accounts/account.resolver.js';
import { UsersResolver } from '../accounts/users.resolver.js';
import { ApiKeyResolver } from '../api-keys/api-key.resolver.js';
import { AuditResolver } from '../audit/audit.resolver.js';
import { authChecker } from './auth-checker.js';

/** The whole API's schema, from the resolvers; `npm run schema:emit` prints it to schema/schema.graphql. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AccountResolver, UsersResolver, ApiKeyResolver, AuditResolver],
    authChecker,
    // DESIGN.md names the scalar DateTime.
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: false },
  });
}

/** The schema as SDL, exactly as schema/schema.graphql must hold it. */
export async function printApiSchema(): Promise<string> {
  return printSchema(await buildApiSchema());
}
