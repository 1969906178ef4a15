import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Counts GraphQL operations still being resolved, including those whose
 * client has hung up (the HTTP server no longer waits for them), so shutdown
 * can let them finish before it closes the database under them.
 */
export function inFlightOperations(): { plugin: ApolloServerPlugin; idle: (timeoutMs: number) => Promise<void> } {
  let running = 0;
  const waiters: Array<() => void> = [];
  const finished = () => {
    running -= 1;
    if (running === 0) for (const wake of waiters.splice(0)) wake();
  };
  return {
    plugin: {
      async requestDidStart() {
        running += 1;
        let done = false;
        return {
          async willSendResponse() {
            if (!done) {
              done = true;
              finished();
            }
          },
        };
      },
    },
    idle(timeoutMs) {
      if (running === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
