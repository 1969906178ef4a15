import type { ConsoleAdminUserAccessQuery, ConsoleAdminUserQuery } from '../../../gql/graphql';

/** The user the admin's user page shows, and their sessions and API keys (loaded once the user's id is known). */
export type User = NonNullable<ConsoleAdminUserQuery['user']>;
export type Access = ConsoleAdminUserAccessQuery;
