// `npm run bench [-- --quick] [--only=http,revocation,mail,totp,embedded-mongo] [--scenarios=…] [--db=process|embedded]
// [--profile-server=DIR]`: runs the benchmarks, prints tables, writes JSON to bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DATABASE_MODES, type DatabaseMode } from './database-process.js';
import { benchEmbeddedMongo, embeddedMongoReport } from './embedded-mongo.bench.js';
import { benchHttp } from './http/http.bench.js';
import { benchDeliveries, deliveriesReport } from './mail/deliveries.bench.js';
import { httpReport } from './http/report.js';
import { benchRevocation, revocationReport } from './http/revocation.bench.js';
import { benchTotp, totpReport } from './totp.bench.js';

const GROUPS = ['totp', 'http', 'revocation', 'mail', 'embedded-mongo'] as const;
type Group = (typeof GROUPS)[number];

const quick = process.argv.includes('--quick');
const onlyArgument = process.argv.find((argument) => argument.startsWith('--only='));
const only = onlyArgument ? onlyArgument.slice('--only='.length).split(',') : [...GROUPS];
const unknown = only.filter((group) => !GROUPS.includes(group as Group));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark group(s): ${unknown.join(', ')}; choose from ${GROUPS.join(', ')}\n`);
  process.exit(2);
}
const runs = (group: Group) => only.includes(group);
/** `--scenarios=trivial,me-token`: a subset of the HTTP scenarios (ids in bench/http/scenarios.ts). */
const scenarioIds = process.argv
  .find((argument) => argument.startsWith('--scenarios='))
  ?.slice('--scenarios='.length)
  .split(',');
/** `--profile-server=DIR`: the server writes a V8 CPU profile there when it stops (open it in Chrome DevTools). */
const profileDir = process.argv
  .find((argument) => argument.startsWith('--profile-server='))
  ?.slice('--profile-server='.length);
/**
 * `--db=process` (default): the HTTP scenarios' server reaches an embedded-mongo process of its own through
 * MONGODB_URI, as production reaches its MongoDB; `--db=embedded`: the database runs inside the server's process.
 */
const database = (process.argv.find((argument) => argument.startsWith('--db='))?.slice('--db='.length) ??
  'process') as DatabaseMode;
if (!DATABASE_MODES.includes(database)) {
  process.stderr.write(`unknown --db=${database}; choose from ${DATABASE_MODES.join(', ')}\n`);
  process.exit(2);
}

const report: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  quick,
  machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadavg() },
};

if (runs('totp')) {
  const totp = benchTotp({ durationMs: quick ? 500 : 2_000 });
  process.stdout.write(`\n${totpReport(totp)}`);
  report.totp = totp;
}

if (runs('http')) {
  process.stderr.write('\nHTTP scenarios (server in a child process, autocannon here)\n');
  const http = await benchHttp({
    quick,
    durationSeconds: quick ? 3 : 10,
    warmUpSeconds: quick ? 0.5 : 2,
    scenarioIds,
    serverNodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    database,
  });
  process.stdout.write(`\n${httpReport(http)}`);
  report.http = http;
}

if (runs('revocation')) {
  process.stderr.write('\nRevocation across two server processes (database and servers in child processes)\n');
  const revocation = await benchRevocation({ samples: quick ? 50 : 200 });
  process.stdout.write(`\n${revocationReport(revocation)}`);
  report.revocation = revocation;
}

if (runs('mail')) {
  process.stderr.write('\nMail worker deliveries (worker in a child process, SMTP server here)\n');
  const mail = await benchDeliveries({ mails: quick ? 500 : 2_000 });
  process.stdout.write(`\nMail worker deliveries\n${deliveriesReport(mail)}`);
  report.mail = mail;
}

if (runs('embedded-mongo')) {
  const sizes = quick ? [1_000, 10_000] : [10_000, 100_000];
  const durationMs = quick ? 500 : 2_000;
  const results = await benchEmbeddedMongo({ sizes, durationMs });
  process.stdout.write(
    `\nEmbedded MongoDB (client and server in this process)\n${embeddedMongoReport(results, sizes)}`,
  );
  report.embeddedMongo = { sizes, durationMs, results };
}

report.loadAverageAtEnd = loadavg();
const directory = fileURLToPath(new URL('../../bench/results/', import.meta.url));
await mkdir(directory, { recursive: true });
const file = `${directory}bench-${(report.startedAt as string).replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`;
await writeFile(file, JSON.stringify(report, null, 2) + '\n');
process.stdout.write(`\nJSON: ${file}\n`);
