import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/test-app.js';

const TRICKLE_INTERVAL_MS = 10_000;

/** A raw TCP client: what it sends, and everything it received until the server closed. */
function rawClient(app: TestApp): { socket: Socket; received: Promise<string> } {
  const { port } = new URL(app.url);
  const socket = connect(Number(port), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  socket.on('error', () => undefined); // a reset after the answer is the point of some tests
  return { socket, received: once(socket, 'close').then(() => text) };
}

/** A keep-alive client that got one answer: its connection is surely open on the server side, and stays (Fastify's keep-alive: 72 s). */
async function heldConnection(app: TestApp): Promise<Socket> {
  const { socket } = rawClient(app);
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await once(socket, 'data');
  return socket;
}

describe('slow clients: a request must arrive within HTTP_REQUEST_TIMEOUT_SECONDS', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ HTTP_REQUEST_TIMEOUT_SECONDS: '2' });
  });
  after(() => app.stop());

  it('cuts off a body trickled one byte per 10 s with 408, before the second byte is due', async () => {
    const { socket, received } = rawClient(app);
    socket.write(
      'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n',
    );
    let sent = 0;
    const trickle = () => {
      if (socket.destroyed) return;
      socket.write('{');
      sent += 1;
      // A second byte means the server waited past the timeout: give up rather than trickle on for minutes.
      if (sent === 2) socket.destroy();
      else timer = setTimeout(trickle, TRICKLE_INTERVAL_MS);
    };
    let timer: NodeJS.Timeout | undefined;
    trickle();
    const answer = await received;
    clearTimeout(timer);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.equal(sent, 1, 'cut off within the timeout: the second byte, due 10 s after the first, was never sent');
    assert.match(answer, /x-content-type-options: nosniff/i);
    assert.match(answer, /"code":"BAD_USER_INPUT"/);
  });

  it('cuts off headers that never end (slowloris) with 408', async () => {
    const { socket, received } = rawClient(app);
    socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    assert.match(await received, /^HTTP\/1\.1 408 /);
  });

  it('still answers a client that sends its request in time', async () => {
    const response = await app.graphql('{ __typename }');
    assert.deepEqual(response.data, { __typename: 'Query' });
  });
});

describe('a cap on open connections (HTTP_MAX_CONNECTIONS)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ HTTP_MAX_CONNECTIONS: '3' });
  });
  after(() => app.stop());

  it('closes connections past the cap at once, and takes new ones when a place frees', async () => {
    const held = [await heldConnection(app), await heldConnection(app), await heldConnection(app)];
    const extra = rawClient(app);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.equal(await extra.received, '', 'closed without an answer');
    held[0].end();
    await once(held[0], 'close');
    // The server counts the freed place once it has read the close: until then a new connection may still be turned away.
    let answered: Response | undefined;
    for (let attempt = 0; !answered && attempt < 50; attempt++) {
      answered = await fetch(`${app.url}/healthz`).catch(() => undefined);
      if (!answered) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(answered?.status, 200);
    for (const socket of held) socket.destroy();
  });
});
