import { formatTable } from '../table.js';
import { floodReport } from './flood.bench.js';
import type { HttpBenchResult, HttpScenarioResult } from './http.bench.js';
import { BASELINE_TITLES } from './scenarios.js';

/** The performance targets (bench/README.md, "Targets"), as ratios to the trivial query of the same run. */
export const TARGETS = {
  meRatio: 0.7,
  verifyValidRatio: 0.4,
  wrongOverValid: [0.8, 1.25],
  sendCodeRatio: 0.5,
  enqueueP99Ms: 5,
  serverRssMiB: 300,
} as const;

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '–' : value.toFixed(digits));

/** The table, then a loud line for every scenario whose figures are not what they claim, then the targets. */
export function httpReport(bench: HttpBenchResult): string {
  const header = [
    'scenario',
    'req/s',
    'ops/s',
    'p50 ms',
    'p99 ms',
    'requests',
    'errors',
    'server RSS MiB',
    'ratio',
    'ratio to',
    'notes',
  ];
  const rows = bench.scenarios.map((s) => [
    s.title,
    fixed(s.requestsPerSecond, 0),
    fixed(s.operationsPerSecond, 0),
    fixed(s.p50Ms, 2),
    fixed(s.p99Ms, 2),
    String(s.requests),
    errorCell(s),
    fixed(s.serverPeakRssMiB, 0),
    fixed(s.ratio, 2),
    BASELINE_TITLES[s.ratioTo],
    notes(s, bench.durationSeconds),
  ]);
  let out = formatTable([header, ...rows]);
  out = `HTTP scenarios; database: ${bench.database} (--db=${bench.databaseMode}).\n${out}`;
  out += `\n${bench.connections} connections, ${bench.durationSeconds} s per scenario after a ${bench.warmUpSeconds} s warm-up. `;
  out += `Server RSS is the server process's alone`;
  out +=
    bench.databasePeakRssMiB === undefined
      ? bench.databaseMode === 'embedded'
        ? ', the database included (it runs in that process).\n'
        : '.\n'
      : `; the database process peaked at ${bench.databasePeakRssMiB.toFixed(0)} MiB (not counted).\n`;
  out +=
    'ops/s counts whole operations (a pair is one); ratio = ops/s ÷ the req/s of the scenario in "ratio to" ' +
    `(${BASELINE_TITLES.trivial}: the mean of its runs, first and last). Latencies are per HTTP request.\n`;
  const [first, last] = [bench.scenarios[0], bench.scenarios[bench.scenarios.length - 1]];
  if (first?.id === 'trivial' && last?.id === 'trivial-end') {
    const apart = Math.abs(last.requestsPerSecond / first.requestsPerSecond - 1) * 100;
    out += `Ceiling at start ${first.requestsPerSecond.toFixed(0)} req/s, at end ${last.requestsPerSecond.toFixed(0)} (${fixed(apart, 0)} % apart). `;
  }
  const { start, end, cores } = bench.loadAverage;
  out += `Load average ${start.toFixed(1)} → ${end.toFixed(1)} on ${cores} cores, load generator included: `;
  out += 'other work shares the CPU, so figures are noisy: compare ratios within one run.\n';
  for (const s of bench.scenarios.filter((s) => s.unexpected > 0)) {
    out += `\n!! ${s.title}: ${s.unexpected} of ${s.requests} responses were not what this scenario measures (${errorCell(s)}); `;
    out += 'its rate is NOT the rate of the intended path.\n';
  }
  out += '\n' + formatTable([['target', 'measured', 'holds'], ...targetRows(bench)]);
  return bench.flood ? `${out}\n${floodReport(bench.flood)}` : out;
}

function errorCell(s: HttpScenarioResult): string {
  const entries = Object.entries(s.errors);
  if (s.socketErrors > 0) entries.push(['connection errors', s.socketErrors]);
  if (entries.length === 0) return '0';
  return entries
    .map(([code, count]) => `${count} ${code}${code === s.expectedErrorCode ? ' (expected)' : ''}`)
    .join(', ');
}

function notes(s: HttpScenarioResult, durationSeconds: number): string {
  const notes: string[] = [];
  if (s.unexpected > 0) notes.push('!! ERRORS, see below');
  if (s.fixtureBound) notes.push(`fixtures used up after ${s.durationSeconds.toFixed(1)} of ${durationSeconds} s`);
  if (s.fixturesExhausted > 0) notes.push(`${s.fixturesExhausted} requests found no fresh user`);
  if (s.enqueue)
    notes.push(
      `enqueue in the server: ${s.enqueue.count} sends, p50 ${s.enqueue.p50Ms.toFixed(2)} ms, p99 ${s.enqueue.p99Ms.toFixed(2)} ms` +
        (s.enqueue.failures ? `, ${s.enqueue.failures} failed` : ''),
    );
  return notes.join('; ');
}

function targetRows(bench: HttpBenchResult): string[][] {
  const byId = new Map(bench.scenarios.map((s) => [s.id, s]));
  const clean = (id: string) => {
    const s = byId.get(id);
    return s && s.unexpected === 0 && s.ratio !== undefined ? s : undefined;
  };
  const verdict = (value: number | undefined, holds: (value: number) => boolean) =>
    value === undefined ? 'not measured' : holds(value) ? 'yes' : 'NO';
  const rows: string[][] = [];
  for (const id of ['me-token', 'me-api-key']) {
    const ratio = clean(id)?.ratio;
    rows.push([
      `${byId.get(id)?.title ?? id} ≥ ${TARGETS.meRatio} × trivial`,
      fixed(ratio, 2),
      verdict(ratio, (r) => r >= TARGETS.meRatio),
    ]);
  }
  const valid = clean('verify-valid');
  rows.push([
    `verifyMfa (valid) ≥ ${TARGETS.verifyValidRatio} × trivial`,
    fixed(valid?.ratio, 2),
    verdict(valid?.ratio, (r) => r >= TARGETS.verifyValidRatio),
  ]);
  const wrong = byId.get('verify-wrong');
  const wrongClean = wrong && wrong.unexpected === 0 ? wrong : undefined;
  const rateRatio = wrongClean && valid ? wrongClean.requestsPerSecond / valid.requestsPerSecond : undefined;
  const [low, high] = TARGETS.wrongOverValid;
  const p50Ratio = wrongClean && valid ? ` (p50 ${fixed(wrongClean.p50Ms / valid.p50Ms, 2)})` : '';
  rows.push([
    `verifyMfa req/s wrong ÷ valid in ${low}–${high}`,
    fixed(rateRatio, 2) + p50Ratio,
    verdict(rateRatio, (r) => r >= low && r <= high),
  ]);
  const send = clean('send-code');
  rows.push([
    `sendMfaCode ≥ ${TARGETS.sendCodeRatio} × trivial`,
    fixed(send?.ratio, 2),
    verdict(send?.ratio, (r) => r >= TARGETS.sendCodeRatio),
  ]);
  const enqueueP99 = send?.enqueue && send.enqueue.count > 0 ? send.enqueue.p99Ms : undefined;
  rows.push([
    `sendMfaCode enqueue p99 < ${TARGETS.enqueueP99Ms} ms (in the server)`,
    fixed(enqueueP99, 2) + (send ? ` (HTTP p99 ${fixed(send.p99Ms, 2)})` : ''),
    verdict(enqueueP99, (p) => p < TARGETS.enqueueP99Ms),
  ]);
  const rss = bench.serverPeakRssMiB;
  rows.push([
    `server peak RSS (VmHWM) < ${TARGETS.serverRssMiB} MiB`,
    fixed(rss, 0),
    verdict(rss, (r) => r < TARGETS.serverRssMiB),
  ]);
  return rows;
}
