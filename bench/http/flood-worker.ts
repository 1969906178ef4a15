// A worker thread that sends one flood and posts back its answers, so the flood's responses do not queue on the event loop that times the real user's sign-ins.
import { parentPort, workerData } from 'node:worker_threads';
import { LoginDocument } from '../../test/generated/graphql.js';
import { requestBody } from './graphql-client.js';
import { timedPost } from './timed-post.js';

export interface FloodOrder {
  url: string;
  /** The attacker's client address. */
  localAddress: string;
  /** Parallel logins, each with a name of its own. */
  size: number;
  namePrefix: string;
}

const order = workerData as FloodOrder;
const answers = Promise.all(
  Array.from({ length: order.size }, (_, i) =>
    timedPost(
      order.url,
      order.localAddress,
      requestBody(LoginDocument, { input: { username: `${order.namePrefix}-${i}`, password: 'some guess 1' } }),
    ),
  ),
);
parentPort!.postMessage({ sent: true });
parentPort!.postMessage({ answers: await answers });
