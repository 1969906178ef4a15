import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { request } from 'node:http';
import type { GraphQLResponse, TestApp } from './test-app.js';

/**
 * Sends an operation over real HTTP from another client address: the socket is
 * bound to `localAddress` (any of 127.0.0.0/8 reaches the app on 127.0.0.1), so
 * the app's `request.ip` is that address, as for a client on another host.
 */
export async function graphqlFrom<T, V>(
  app: TestApp,
  localAddress: string,
  operation: TypedDocumentNode<T, V>,
  options: { variables?: V; token?: string } = {},
): Promise<GraphQLResponse<T>> {
  const body = JSON.stringify({ query: print(operation), variables: options.variables });
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${app.url}/graphql`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as object),
            });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
