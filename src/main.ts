// `npm start`: the service on its configuration (embedded MongoDB when MONGODB_URI is unset).
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
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
try {
  const app = await startApp(config, { logger });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping: draining in-flight requests');
      void app.stop().then(() => process.exit(0));
    });
  }
} catch (error) {
  if (!(error instanceof RedisUnavailableError)) throw error;
  logger.fatal(error.message);
  process.exit(69); // EX_UNAVAILABLE
}
