#!/usr/bin/env node
// `npm run embedded-mongo -- --port 27018 --data-dir DIR` (or `--memory`): a standalone
// embedded server for mongosh, Compass or a plain mongoose script.
import { parseArgs } from 'node:util';
import { startEmbeddedMongo } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '27017' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string', default: './.data/mongo' },
    memory: { type: 'boolean', default: false },
    'ttl-interval-ms': { type: 'string' },
  },
});

const server = await startEmbeddedMongo({
  port: Number(values.port),
  host: values.host,
  memory: values.memory,
  dataDir: values['data-dir'],
  ttlMonitorIntervalMs: values['ttl-interval-ms'] ? Number(values['ttl-interval-ms']) : undefined,
  log: (level, message, details) => process.stderr.write(`${JSON.stringify({ level, message, ...details })}\n`),
});
process.stdout.write(
  `embedded MongoDB listening at ${server.uri} (${values.memory ? 'in memory' : `data in ${values['data-dir']}`})\n`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.stop().then(() => process.exit(0));
  });
}
