import { request, type Agent } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Timed {
  /** The first error's `extensions.code`, or OK. */
  code: string;
  ms: number;
}

/** One POST from `localAddress`, timed; a new connection unless an agent is given (a flood's clients do not share one). */
export function timedPost(url: string, localAddress: string, body: string, agent?: Agent): Promise<Timed> {
  const begin = performance.now();
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        method: 'POST',
        agent: agent ?? false,
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const ms = performance.now() - begin;
          try {
            const parsed = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> };
            resolve({ code: parsed.errors ? (parsed.errors[0]?.extensions?.code ?? 'NO_CODE') : 'OK', ms });
          } catch {
            resolve({ code: `HTTP ${response.statusCode}`, ms });
          }
        });
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}
