// `npm start`: the service on its configuration (embedded MongoDB when MONGODB_URI is unset).
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DataDirInUseError } from './embedded-mongo/index.js';
import { createLogger } from './logger.js';
import { RedisUnavailableError } from './redis.js';
import { stopOnSignals } from './stop-on-signals.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
const logger = createLogger({ level: config.logLevel });

const signals = stopOnSignals(logger, 'stopping: draining in-flight requests');

try {
  const app = await startApp(config, { logger });
  signals.started(() => app.stop());
} catch (error) {
  if (error instanceof ConfigError) {
    logger.fatal(`configuration error: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  if (error instanceof RedisUnavailableError || error instanceof DataDirInUseError) {
    logger.fatal(error.message);
    process.exit(69); // EX_UNAVAILABLE: a dependency is missing or taken, nothing is wrong with the service
  }
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
