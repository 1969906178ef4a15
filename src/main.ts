// `npm start`: the service on its configuration (embedded MongoDB when MONGODB_URI is unset).
import { startApp, type App } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DataDirInUseError } from './embedded-mongo/index.js';
import { createLogger } from './logger.js';
import { RedisUnavailableError } from './redis.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
const logger = createLogger({ level: config.logLevel });

// Listening for signals before starting: a SIGTERM that arrives during start-up waits for it, then drains.
let app: App | undefined;
let stopRequested = false;
const stop = () => void app!.stop().then(() => process.exit(0));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping: draining in-flight requests');
    if (app) stop();
    else stopRequested = true;
  });
}

try {
  app = await startApp(config, { logger });
  if (stopRequested) stop();
} catch (error) {
  if (error instanceof RedisUnavailableError || error instanceof DataDirInUseError) {
    logger.fatal(error.message);
    process.exit(69); // EX_UNAVAILABLE: a dependency is missing or taken, nothing is wrong with the service
  }
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
