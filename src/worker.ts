// `npm run worker`: only the mail worker, for MAIL_WORKER=off servers (senders scale separately).
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { createMailPipeline } from './mail/index.js';
import { secretsFromConfig } from './crypto/encryption-keys.js';
import { RedisUnavailableError } from './redis.js';
import { stopOnSignals } from './stop-on-signals.js';

let setup;
try {
  const config = loadConfig();
  if (!config.mfa.encryptionKeys && config.mongodb.dataDir === ':memory:') {
    // A :memory: data directory gets a random key per process: the server's jobs would be sealed under a key this worker never sees.
    throw new ConfigError(
      'the mail worker needs the key the server seals jobs with: set the same MFA_ENCRYPTION_KEYS in the server and the worker ' +
        '(or give both the same DATA_DIR, whose generated development key they share); DATA_DIR=:memory: makes a key no other process knows',
    );
  }
  const settings = config.mail.queue;
  const logger = createLogger({ level: config.logLevel });
  const secrets = secretsFromConfig(config, logger);
  setup = { config, logger, secrets, settings };
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
const { config, logger, secrets, settings } = setup;

const signals = stopOnSignals(logger, 'mail worker stopping: finishing the current jobs');

try {
  const pipeline = await createMailPipeline({
    config,
    redisUrl: config.redisUrl,
    secrets,
    logger,
    startWorker: true,
    settings,
  });
  logger.info(
    { concurrency: settings.concurrency, queuePrefix: settings.queuePrefix, smtp: Boolean(config.mail.smtpUrl) },
    'mail worker running',
  );
  signals.started(() => pipeline.close());
} catch (error) {
  if (error instanceof RedisUnavailableError) {
    logger.fatal(error.message);
    process.exit(69); // EX_UNAVAILABLE
  }
  logger.fatal({ err: error }, 'mail worker could not start');
  process.exit(1);
}
