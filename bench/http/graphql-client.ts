import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** The JSON body a client sends for `document`, printed once per document. */
export function requestBody(document: TypedDocumentNode<unknown, never> | string, variables?: object): string {
  return JSON.stringify({ query: typeof document === 'string' ? document : printed(document), variables });
}

const printedDocuments = new WeakMap<object, string>();
function printed(document: TypedDocumentNode<unknown, never>): string {
  let text = printedDocuments.get(document);
  if (text === undefined) printedDocuments.set(document, (text = print(document)));
  return text;
}

/** One operation for fixtures (not measured); throws on any GraphQL error, so preparation never passes silently. */
export async function graphql<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  token?: string,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: requestBody(document, variables as object),
  });
  const result = (await response.json()) as { data?: T; errors?: unknown[] };
  if (result.errors || !result.data)
    throw new Error(`fixture operation failed (HTTP ${response.status}): ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
