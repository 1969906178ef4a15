import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectId } from 'bson';
import mongoose from 'mongoose';
import { privateSocket } from '../src/db/private-socket.js';
import { startEmbeddedMongo } from '../src/embedded-mongo/index.js';
import { measure, type Measurement } from './measure.js';
import { formatTable } from './table.js';

export interface EmbeddedMongoBenchResult extends Measurement {
  operation: string;
  mode: 'memory' | 'journal';
  documents: number;
}

const CONCURRENCY = 8;
const WARM_UP_MS = 300;

/**
 * The embedded server's hot operations at several collection sizes. Lookups
 * by `_id` or a unique field, unique checks on insert and `$lookup` joins go
 * through hashed indexes, so their rate should not fall as the collection grows.
 */
export async function benchEmbeddedMongo(options: {
  sizes: number[];
  durationMs: number;
}): Promise<EmbeddedMongoBenchResult[]> {
  const results: EmbeddedMongoBenchResult[] = [];
  for (const mode of ['memory', 'journal'] as const) {
    for (const documents of options.sizes) {
      const dataDir = mode === 'journal' ? await mkdtemp(join(tmpdir(), 'bench-mongo-')) : undefined;
      // Through a private socket, as the service reaches it.
      const socket = privateSocket();
      const server = await startEmbeddedMongo({
        ...(dataDir ? { dataDir } : { memory: true }),
        socketPath: socket.path,
      });
      const connection = await mongoose
        .createConnection(server.uri, { dbName: 'bench', maxPoolSize: CONCURRENCY })
        .asPromise();
      try {
        const users = connection.db!.collection('users');
        await users.createIndex({ email: 1 }, { unique: true });
        await users.createIndex({ group: 1 });
        // Like factors' { 'pending.tokenHash': 1 } (sparse), which acceptMfa looks up by.
        await users.createIndex({ token: 1 }, { sparse: true });
        const ids: ObjectId[] = [];
        for (let start = 0; start < documents; start += 1000) {
          const chunk = Array.from({ length: Math.min(1000, documents - start) }, (_, i) => ({
            email: `user${start + i}@example.com`,
            token: `token${start + i}`,
            group: (start + i) % 100,
            n: 0,
          }));
          const inserted = await users.insertMany(chunk);
          ids.push(...Object.values(inserted.insertedIds));
        }
        const pick = (i: number) => (i * 7919) % documents;
        // Sign-in's session → user join: one $lookup into the large collection per call.
        const sessions = connection.db!.collection('sessions');
        const sessionIds = Object.values(
          (await sessions.insertMany(Array.from({ length: 1000 }, (_, i) => ({ userId: ids[pick(i)] })))).insertedIds,
        );
        const scenarios: Array<[string, (i: number) => Promise<unknown>]> = [
          ['findOne by _id', (i) => users.findOne({ _id: ids[pick(i)] })],
          ['findOne by unique email', (i) => users.findOne({ email: `user${pick(i)}@example.com` })],
          ['findOne by sparse-indexed field', (i) => users.findOne({ token: `token${pick(i)}` })],
          ['findOneAndUpdate by _id', (i) => users.findOneAndUpdate({ _id: ids[pick(i)] }, { $inc: { n: 1 } })],
          [
            '$match + $lookup by _id',
            (i) =>
              sessions
                .aggregate([
                  { $match: { _id: sessionIds[i % sessionIds.length] } },
                  { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'user' } },
                ])
                .toArray(),
          ],
          // Last: what it inserts stays, and the rows above must run at the stated size.
          [
            'insertOne (unique check)',
            (i) => users.insertOne({ email: `new${i}-${Math.random()}@example.com`, group: 1, n: 0 }),
          ],
        ];
        for (const [operation, run] of scenarios) {
          await measure(run, { durationMs: WARM_UP_MS, concurrency: CONCURRENCY }); // JIT and pool warm-up, not recorded
          results.push({
            operation,
            mode,
            documents,
            ...(await measure(run, { durationMs: options.durationMs, concurrency: CONCURRENCY })),
          });
        }
      } finally {
        await connection.close();
        await server.stop();
        socket.remove();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
  return results;
}

/** One row per operation and mode; the last column is ops/s at the largest size over the smallest (flat ≈ 1.0). */
export function embeddedMongoReport(rows: EmbeddedMongoBenchResult[], sizes: number[]): string {
  const [small, large] = [sizes[0], sizes[sizes.length - 1]];
  const lines = [
    ['operation', 'mode', ...sizes.flatMap((n) => [`ops/s @${n}`, `p50/p99 ms @${n}`]), `ratio ${large}/${small}`],
  ];
  const keys = [...new Set(rows.map((row) => `${row.operation}|${row.mode}`))];
  for (const key of keys) {
    const [operation, mode] = key.split('|');
    const bySize = new Map(
      rows.filter((row) => row.operation === operation && row.mode === mode).map((row) => [row.documents, row]),
    );
    const cells = sizes.flatMap((n) => {
      const row = bySize.get(n)!;
      return [row.opsPerSecond.toFixed(0), `${row.p50Ms.toFixed(2)}/${row.p99Ms.toFixed(2)}`];
    });
    lines.push([
      operation,
      mode,
      ...cells,
      (bySize.get(large)!.opsPerSecond / bySize.get(small)!.opsPerSecond).toFixed(2),
    ]);
  }
  return formatTable(lines);
}
