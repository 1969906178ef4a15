import autocannon from 'autocannon';

/** What one scenario sends: autocannon's request sequence, repeated by every connection. */
export interface LoadPlan {
  /** The requests of one operation, in order (a login → verifyMfa pair is two). */
  requests: autocannon.Request[];
  /** Operations the prepared fixtures still allow; the run ends there if that comes before the duration. */
  operationsLeft?: () => number;
  /** Requests so far that found no fitting fixture (sent anyway with a used one, so they fail and show). */
  exhausted?: () => number;
  /** Time QueueMailSender.send inside the server during the measured run (bench/http/enqueue-timing.preload.ts). */
  timesEnqueue?: boolean;
  /** After the measured run and its settling pause, e.g. to empty the mail queue it filled. */
  after?: () => Promise<void>;
}

export interface LoadResult {
  durationSeconds: number;
  requests: number;
  operations: number;
  requestsPerSecond: number;
  operationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  /** Responses that are not a clean 2xx, by the first error's extensions.code (or `HTTP <status>`). */
  errors: Record<string, number>;
  /** Requests in this run that found no fitting fixture. */
  fixturesExhausted: number;
  /** The run ended because its fixtures were used up, before the duration. */
  fixtureBound: boolean;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** At most this share of the fixtures left (a warm-up must not use them all). @default 1 */
  fixtureShare?: number;
}

/**
 * Drives `plan` with autocannon for the duration (or until its operation
 * limit), timing every response itself: autocannon's histogram keeps whole
 * milliseconds, too coarse for sub-millisecond medians.
 */
export async function runLoad(plan: LoadPlan, options: LoadOptions): Promise<LoadResult> {
  const errors: Record<string, number> = {};
  const tally = (status: number, body: string) => {
    if (status < 300 && !body.includes('"errors":')) return;
    let code = `HTTP ${status}`;
    try {
      code =
        (JSON.parse(body) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code ??
        code;
    } catch {
      // not JSON: the status says it
    }
    errors[code] = (errors[code] ?? 0) + 1;
  };
  const requests = plan.requests.map((request) => ({
    ...request,
    onResponse: (status: number, body: string, context: object, headers: autocannon.Request['headers']) => {
      tally(status, body);
      if (typeof request.onResponse === 'function') request.onResponse(status, body, context, headers);
    },
  }));
  const perOperation = plan.requests.length;
  // Whole operations per connection, so no connection stops between a login and its verifyMfa.
  const limit = plan.operationsLeft && Math.floor(plan.operationsLeft() * (options.fixtureShare ?? 1));
  const amount =
    limit === undefined
      ? undefined
      : Math.max(1, Math.floor(limit / options.connections)) * options.connections * perOperation;
  const exhaustedBefore = plan.exhausted?.() ?? 0;
  let timedOut = false;
  const latencies: number[] = [];
  // autocannon counts its duration in whole seconds: a run that its fixtures end after 3.4 s would report 3, or 4.
  const started = performance.now();
  let lastResponseAt = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        amount,
        requests,
      },
      (error, finished) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs: number) => {
      latencies.push(responseTimeMs);
      lastResponseAt = performance.now();
    });
    // With `amount` autocannon ignores the duration; the fixtures' limit and the clock both end the run.
    const timer =
      amount === undefined
        ? undefined
        : setTimeout(() => ((timedOut = true), instance.stop()), options.durationSeconds * 1000);
    instance.once('done', () => clearTimeout(timer));
  });
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? 0;
  const completed = latencies.length;
  // From the start to the last answer, in milliseconds' precision.
  const seconds = Math.max(0.001, (lastResponseAt - started) / 1000);
  return {
    durationSeconds: seconds,
    requests: completed,
    operations: Math.floor(completed / perOperation),
    requestsPerSecond: completed / seconds,
    operationsPerSecond: completed / perOperation / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    non2xx: result.non2xx,
    socketErrors: result.errors,
    errors,
    fixturesExhausted: (plan.exhausted?.() ?? 0) - exhaustedBefore,
    fixtureBound: amount !== undefined && !timedOut,
  };
}
