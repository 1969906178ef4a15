import type { Logger } from './logger.js';

/**
 * Listens for SIGTERM/SIGINT from the first moment: a signal that arrives
 * during start-up waits for it, then stops what started, then exits 0.
 * Call `started` with the running thing's `stop` once it is up.
 */
export function stopOnSignals(logger: Logger, message: string): { started(stop: () => Promise<void>): void } {
  let stop: (() => Promise<void>) | undefined;
  let requested = false;
  const run = () => void stop!().then(() => process.exit(0));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, message);
      requested = true;
      if (stop) run();
    });
  }
  return {
    started(stopRunning) {
      stop = stopRunning;
      if (requested) run();
    },
  };
}
