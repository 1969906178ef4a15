import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { privateSocket } from '../src/db/private-socket.js';
import { startEmbeddedMongo } from '../src/embedded-mongo/index.js';

/**
 * A third-party library's delete, `{ $and: [{ identifier }, { value }] }` with
 * `identifier` indexed, at 1k and 50k documents: run by hand
 * (`npm run build && node dist/bench/embedded-and-delete.js`); a flat time means
 * the index answers it, a growing one that the whole collection is scanned.
 */
const ROUNDS = 500;
/** Untimed rounds first, so the first size does not pay for the JIT warming up. */
const WARM_UP = 300;

for (const size of [1_000, 50_000]) {
  const socket = privateSocket();
  const server = await startEmbeddedMongo({ memory: true, socketPath: socket.path, log: () => undefined });
  const connection = await mongoose.createConnection(server.uri, { dbName: 'bench' }).asPromise();
  const tokens = connection.db!.collection('tokens');
  await tokens.createIndex({ identifier: 1 });
  for (let start = 0; start < size; start += 1000)
    await tokens.insertMany(
      Array.from({ length: 1000 }, (_, i) => ({ identifier: `id${start + i}`, value: `v${start + i}` })),
    );
  let total = 0;
  for (let round = -WARM_UP; round < ROUNDS; round++) {
    const n = Math.floor(((round + WARM_UP) * size) / (ROUNDS + WARM_UP));
    const started = performance.now();
    const { deletedCount } = await tokens.deleteOne({ $and: [{ identifier: `id${n}` }, { value: `v${n}` }] });
    if (round >= 0) total += performance.now() - started;
    if (deletedCount !== 1) throw new Error(`round ${round} deleted ${deletedCount}`);
    await tokens.insertOne({ identifier: `id${n}`, value: `v${n}` });
  }
  console.log(`${size} documents: deleteOne({$and}) ${(total / ROUNDS).toFixed(3)} ms mean over ${ROUNDS}`);
  await connection.close();
  await server.stop();
  socket.remove();
}
