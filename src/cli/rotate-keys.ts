// `npm run rotate-keys`: re-encrypts every factor secret under the first key of MFA_ENCRYPTION_KEYS.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { DataDirInUseError } from '../embedded-mongo/index.js';
import { createLogger } from '../logger.js';
import {
  countStaleRecoveryCodes,
  rotateFactorSecrets,
  type FactorRotationReport,
  type StaleRecoveryCodes,
} from '../mfa/rotate-keys.js';
import { secretsFromConfig } from '../crypto/encryption-keys.js';

/** sysexits.h codes, as main.ts and create-admin use them. */
const EX_USAGE = 64;
const EX_TEMPFAIL = 75;
const EX_CONFIG = 78;
/** Some factor could not be re-encrypted (see the lines above the summary). */
const EXIT_FAILED = 1;

const HELP = `usage: npm run rotate-keys [-- --batch-size N]

Re-encrypts every stored factor secret (e.g. TOTP seeds) that is sealed under an
older key with the current key: the first entry of MFA_ENCRYPTION_KEYS
(kid:base64key,...; outside production the development key file in DATA_DIR).

Rotating a key:
  1. Generate a key (openssl rand -base64 32) and put it FIRST in
     MFA_ENCRYPTION_KEYS, keeping the old ones after it: "new:...,old:...".
     Restart every server with that list, so all of them can read both.
  2. Run this command with the same list. It is idempotent; run it again to
     pick up factors that changed while it ran (reported as "skipped").
     It refuses to run before a server has started with the new key, and
     when a key differs from the one the servers hold under the same kid.
  3. Recovery codes cannot be re-keyed: only hashes keyed with the old key are
     stored, never the codes. This command counts the users whose codes are
     still keyed with an old kid. KEEP THAT OLD KEY CONFIGURED until those
     users have regenerated their codes (regenerateRecoveryCodes) or used
     them up; removing it makes their recovery codes stop working.
  4. Remove an old key only when this command reports nothing left under it:
     a server refuses to start without a key that factors are sealed under.

A factor whose secret cannot be opened (its key is no longer configured, or
the stored secret is damaged) is reported by id and left as it is; the exit
status is then ${EXIT_FAILED}. No secret is ever printed.

With the embedded database (MONGODB_URI unset) the data directory can be open
in one process only: stop the server first. Production uses a real MongoDB
(MONGODB_URI), where the command runs beside the servers.

Options:
  --batch-size N   factors read per query (default 100)
  --help           this text`;

class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function rotateKeys(argv: string[], env: NodeJS.ProcessEnv): Promise<{ output: string; exitCode: number }> {
  const batchSize = parseBatchSize(argv);
  const config = loadConfig(env);
  if (!config.mongodb.uri && config.mongodb.dataDir === ':memory:')
    throw new CliFailure('DATA_DIR=:memory: keeps nothing to rotate', EX_USAGE);
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'error', destination: process.stderr });
  // Loaded before the database opens, so a bad key list fails without touching it; the same source as services.ts.
  const secrets = secretsFromConfig(config, logger);
  const database = await openDatabase(config.mongodb, logger);
  try {
    const report = await rotateFactorSecrets({ connection: database.connection, secrets, batchSize });
    const codes = await countStaleRecoveryCodes({ connection: database.connection, secrets });
    return {
      output: describe(report, codes, secrets.currentKid, database.description),
      exitCode: report.failed.length > 0 ? EXIT_FAILED : 0,
    };
  } finally {
    await database.close();
  }
}

function describe(report: FactorRotationReport, codes: StaleRecoveryCodes, currentKid: string, where: string): string {
  const lines = report.failed.map(
    ({ factorId, kid, reason }) => `factor ${factorId} (kid "${kid}"): not re-encrypted, ${reason}`,
  );
  for (const group of codes.byKid) {
    const held = `${group.users} user(s)${group.pendingEnrollments ? ` and ${group.pendingEnrollments} pending enrollment(s)` : ''}`;
    lines.push(
      group.configured
        ? `recovery codes: ${held} keyed with kid "${group.kid}": keep that key configured until they regenerate their codes`
        : `recovery codes: ${held} keyed with kid "${group.kid}", which is no longer configured: those codes do not work until they regenerate them`,
    );
  }
  lines.push(
    `rotate-keys (${where} database, current kid "${currentKid}"): ${report.scanned} factor(s) under older keys, ` +
      `${report.reencrypted} re-encrypted, ${report.skipped} skipped (changed meanwhile), ${report.failed.length} failed; ` +
      `${codes.users} user(s) with recovery codes under older keys`,
  );
  return lines.join('\n');
}

function parseBatchSize(argv: string[]): number {
  let values: { 'batch-size'?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'batch-size': { type: 'string' } } }));
  } catch (error) {
    throw new CliFailure(`${(error as Error).message}\n${HELP}`, EX_USAGE);
  }
  const batchSize = Number(values['batch-size'] ?? 100);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new CliFailure('--batch-size must be an integer from 1 to 10000', EX_USAGE);
  return batchSize;
}

function explain(error: unknown): CliFailure {
  if (error instanceof CliFailure) return error;
  if (error instanceof ConfigError) return new CliFailure(`configuration error: ${error.message}`, EX_CONFIG);
  if (error instanceof DataDirInUseError) {
    return new CliFailure(
      `the embedded database is in use by process ${error.ownerPid} (${error.lockFile}), most likely the running server. ` +
        'The embedded server lets one process open its data directory: stop the server, run rotate-keys, then start the server again ' +
        '(with a real MongoDB, MONGODB_URI, it runs beside the servers).',
      EX_TEMPFAIL,
    );
  }
  throw error;
}

const argv = process.argv.slice(2);
try {
  if (argv.includes('--help')) process.stdout.write(`${HELP}\n`);
  else {
    const { output, exitCode } = await rotateKeys(argv, process.env);
    process.stdout.write(`${output}\n`);
    process.exitCode = exitCode;
  }
} catch (error) {
  const failure = explain(error);
  process.stderr.write(`rotate-keys: ${failure.message}\n`);
  process.exitCode = failure.exitCode;
}
