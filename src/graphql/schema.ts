import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { AccountResolver } from '../accounts/account.resolver.js';
import { UsersResolver } from '../accounts/users.resolver.js';
import { EmailResolver } from '../accounts/email.resolver.js';
import { UserAdminResolver } from '../accounts/user-admin.resolver.js';
import { PasswordResetResolver } from '../accounts/password-reset.resolver.js';
import { ApiKeyResolver } from '../api-keys/api-key.resolver.js';
import { AuditResolver } from '../audit/audit.resolver.js';
import { loadConfig } from '../config/config.js';
import { MailQueueResolver } from '../mail/mail-queue.resolver.js';
// Modules load in this order, and type-graphql lists fields in the order their decorators ran: sign-in's mutations
// come before enrollment's in schema/schema.graphql, so its resolver is imported first.
import { SignInResolver } from '../mfa/sign-in.resolver.js';
import { LoginPayloadFieldsResolver } from '../mfa/login-payload-fields.resolver.js';
import { EnrollmentResolver } from '../mfa/enrollment.resolver.js';
import { withEnrollmentDetailTypes } from '../mfa/enrollment-details.js';
import type { FactorPlugin } from '../mfa/factor-plugin.js';
import { loadFactorPlugins } from '../mfa/load-factor-plugins.js';
import { BUILT_IN_FACTOR_PLUGINS } from '../built-in-factor-plugins.js';
import { MfaPolicyResolver } from '../mfa/mfa-policy.resolver.js';
import { UserMfaFieldsResolver } from '../mfa/user-mfa-fields.resolver.js';
import { SessionsResolver } from '../sessions/sessions.resolver.js';
import { TrustedDevicesResolver } from '../mfa/trusted-devices.resolver.js';
import { PasswordResolver } from '../accounts/password.resolver.js';
import { authChecker } from './auth-checker.js';
import { ServiceInfoResolver } from './service-info.resolver.js';

const RESOLVERS = [
  AccountResolver,
  UsersResolver,
  ApiKeyResolver,
  AuditResolver,
  SignInResolver,
  LoginPayloadFieldsResolver,
  EnrollmentResolver,
  MfaPolicyResolver,
  UserMfaFieldsResolver,
  SessionsResolver,
  TrustedDevicesResolver,
  EmailResolver,
  UserAdminResolver,
  PasswordResolver,
  PasswordResetResolver,
  MailQueueResolver,
  ServiceInfoResolver,
] as const;

/** The whole API's schema, from the resolvers and the factor plugins' enrollment detail types. */
export function buildApiSchema(factorPlugins: readonly FactorPlugin[]): GraphQLSchema {
  return withEnrollmentDetailTypes(
    factorPlugins.map((plugin) => plugin.detailsType),
    () =>
      buildSchemaSync({
        resolvers: RESOLVERS,
        authChecker,
        // Dates are the DateTime scalar (ISO 8601 strings), the name graphql-scalars and its clients use.
        scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
        validate: { forbidUnknownValues: false },
      }),
  );
}

/** The schema as SDL with the default plugins, exactly as schema/schema.graphql must hold it (`npm run schema:emit`). */
export async function printApiSchema(): Promise<string> {
  const config = loadConfig({});
  // Building the schema sends nothing: the plugins get a mail sender that refuses.
  const mail = { send: () => Promise.reject(new Error('no mail while printing the schema')) };
  return printSchema(
    buildApiSchema(
      await loadFactorPlugins(
        config.mfa,
        (settings = {}) => ({
          issuer: config.mfa.issuer,
          mail,
          publicUrl: config.publicUrl,
          settings,
          production: config.production,
        }),
        BUILT_IN_FACTOR_PLUGINS,
      ),
    ),
  );
}
