import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { AccountsService } from './accounts/accounts.service.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import { PasswordHasher } from './accounts/password-hasher.js';
import { userModel } from './accounts/user.model.js';
import { apiKeyModel } from './api-keys/api-key.model.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { auditEventModel } from './audit/audit-event.model.js';
import { AuditService } from './audit/audit.service.js';
import type { Config } from './config/config.js';
import type { Logger } from './logger.js';
import { sessionModel } from './sessions/session.model.js';
import { SessionsService } from './sessions/sessions.service.js';

/** Every service, wired once per app; resolvers reach them through the GraphQL context. */
export interface Services {
  accounts: AccountsService;
  sessions: SessionsService;
  audit: AuditService;
  apiKeys: ApiKeysService;
}

export async function createServices(deps: { config: Config; connection: Connection; redis: Redis; logger: Logger }): Promise<Services> {
  const { config, connection, redis, logger } = deps;
  const models = { users: userModel(connection), sessions: sessionModel(connection), auditEvents: auditEventModel(connection), apiKeys: apiKeyModel(connection) };
  // Indexes (unique usernames, token hashes, TTLs) must exist before the first request relies on them.
  await Promise.all(Object.values(models).map((model) => model.init()));
  const audit = new AuditService(models.auditEvents, logger);
  const sessions = new SessionsService(models.sessions, config.sessions);
  const accounts = new AccountsService(models.users, new PasswordHasher(), new LoginThrottle(redis), sessions, audit, {
    allowSignup: config.accounts.allowSignup,
  });
  return { accounts, sessions, audit, apiKeys: new ApiKeysService(models.apiKeys, audit) };
}
