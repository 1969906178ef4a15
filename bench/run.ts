// `npm run bench [-- --quick]`: runs the benchmarks, prints a table, writes JSON to bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { benchEmbeddedMongo, type EmbeddedMongoBenchResult } from './embedded-mongo.bench.js';

const quick = process.argv.includes('--quick');
const sizes = quick ? [1_000, 10_000] : [10_000, 100_000];
const durationMs = quick ? 500 : 2_000;

const results = await benchEmbeddedMongo({ sizes, durationMs });
printTable(results);

const directory = fileURLToPath(new URL('../../bench/results/', import.meta.url));
await mkdir(directory, { recursive: true });
const file = `${directory}embedded-mongo-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, sizes, durationMs, results }, null, 2));
process.stdout.write(`\nJSON: ${file}\n`);

/** One row per operation and mode; the last column is ops/s at the largest size over the smallest (flat ≈ 1.0). */
function printTable(rows: EmbeddedMongoBenchResult[]): void {
  const [small, large] = [sizes[0], sizes[sizes.length - 1]];
  const lines = [['operation', 'mode', ...sizes.flatMap((n) => [`ops/s @${n}`, `p50/p99 ms @${n}`]), `ratio ${large}/${small}`]];
  const keys = [...new Set(rows.map((row) => `${row.operation}|${row.mode}`))];
  for (const key of keys) {
    const [operation, mode] = key.split('|');
    const bySize = new Map(rows.filter((row) => row.operation === operation && row.mode === mode).map((row) => [row.documents, row]));
    const cells = sizes.flatMap((n) => {
      const row = bySize.get(n)!;
      return [row.opsPerSecond.toFixed(0), `${row.p50Ms.toFixed(2)}/${row.p99Ms.toFixed(2)}`];
    });
    lines.push([operation, mode, ...cells, (bySize.get(large)!.opsPerSecond / bySize.get(small)!.opsPerSecond).toFixed(2)]);
  }
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  for (const line of lines) process.stdout.write(line.map((cell, column) => cell.padEnd(widths[column])).join('  ') + '\n');
}
