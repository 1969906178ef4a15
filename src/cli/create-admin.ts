// `npm run create-admin -- --username NAME`: creates an admin account on the configured database, without HTTP.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { newAccountProblems } from '../accounts/account-rules.js';
import { Role } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { DataDirInUseError } from '../embedded-mongo/index.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { connectRedis, RedisUnavailableError } from '../redis.js';
import { secretsFromConfig } from '../crypto/encryption-keys.js';
import { createServices } from '../services.js';
import { PasswordEntryError, readPassword } from './read-password.js';

/** sysexits.h codes, as main.ts uses them. */
const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_UNAVAILABLE = 69;
const EX_TEMPFAIL = 75;
const EX_CONFIG = 78;
const INTERRUPTED = 130;

const USAGE = `usage: npm run create-admin -- --username NAME
The password is read from standard input (typed twice without echo, or the first piped line)
or from ADMIN_PASSWORD; never from arguments, which every user of the machine can see in \`ps\`.`;

class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function createAdmin(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const username = parseUsername(argv);
  // ADMIN_USERNAME/ADMIN_PASSWORD also configure the server's bootstrap admin; here the password is only input.
  const config = loadConfig({ ...env, ADMIN_USERNAME: undefined, ADMIN_PASSWORD: undefined });
  const password = env.ADMIN_PASSWORD || (await readPassword());
  if (password === undefined) throw new CliFailure(`no password on standard input\n${USAGE}`, EX_USAGE);
  await checkAccountRules(username, password, config);

  const logger = createLogger({ level: env.LOG_LEVEL ?? 'error', destination: process.stderr });
  const redis = await connectRedis(config.redisUrl, logger);
  try {
    const database = await openDatabase(config.mongodb, logger);
    try {
      // Creating an account touches no factor and sends no mail: no factor plugin is loaded, and mail is refused.
      const services = await createServices({
        config,
        connection: database.connection,
        redis,
        logger,
        factorPlugins: [],
        secrets: secretsFromConfig(config, logger),
        mail: { send: () => Promise.reject(new Error('create-admin sends no mail')) },
      });
      try {
        const user = await services.accounts.createUser({ username, password }, Role.ADMIN);
        await services.audit.record({
          type: AuditEventType.ADMIN_CREATED,
          userId: user._id,
          details: { via: 'create-admin' },
        });
        return `created admin "${user.username}" (id ${String(user._id)}) in the ${database.description} database`;
      } finally {
        await services.cacheInvalidation.stop();
      }
    } finally {
      await database.close();
    }
  } finally {
    redis.disconnect();
  }
}

function parseUsername(argv: string[]): string {
  let values: { username?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { username: { type: 'string' } } }));
  } catch (error) {
    throw new CliFailure(`${(error as Error).message}\n${USAGE}`, EX_USAGE);
  }
  if (!values.username) throw new CliFailure(`--username is required\n${USAGE}`, EX_USAGE);
  return values.username;
}

/** The rules of `signUp`, so the CLI cannot create an account the API would have refused. */
async function checkAccountRules(username: string, password: string, config: Config): Promise<void> {
  const messages = await newAccountProblems(
    { username, password },
    { minLength: config.accounts.passwordMinLength, serviceName: config.mfa.issuer },
  );
  if (messages.length > 0) throw new CliFailure(messages.join('; '), EX_DATAERR);
}

function explain(error: unknown): CliFailure {
  if (error instanceof CliFailure) return error;
  if (error instanceof ConfigError) return new CliFailure(`configuration error: ${error.message}`, EX_CONFIG);
  if (error instanceof RedisUnavailableError) return new CliFailure(error.message, EX_UNAVAILABLE);
  if (error instanceof AppError) return new CliFailure(error.message, EX_DATAERR); // e.g. the username is taken
  if (error instanceof PasswordEntryError)
    return new CliFailure(error.message, error.cancelled ? INTERRUPTED : EX_DATAERR);
  if (error instanceof DataDirInUseError) {
    return new CliFailure(
      `the embedded database is in use by process ${error.ownerPid} (${error.lockFile}), most likely the running server. ` +
        'Stop the server and run this again, or set ADMIN_USERNAME and ADMIN_PASSWORD so the server creates the admin at its next start.',
      EX_TEMPFAIL,
    );
  }
  throw error;
}

const argv = process.argv.slice(2);
try {
  process.stdout.write(argv.includes('--help') ? `${USAGE}\n` : `${await createAdmin(argv, process.env)}\n`);
} catch (error) {
  const failure = explain(error);
  process.stderr.write(`create-admin: ${failure.message}\n`);
  process.exitCode = failure.exitCode;
}
