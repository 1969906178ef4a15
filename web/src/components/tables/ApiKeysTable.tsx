import type { ReactNode } from 'react';
import { DateTime } from '../DateTime';

export interface ApiKeyRow {
  id: string;
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt?: string | null;
  expiresAt?: string | null;
}

/**
 * API keys, one row each: the name, the key's first characters (never the key), and when it was made, used and
 * expires. Shared by the user's own security page and the admin's user page, which differ in `actions`.
 */
export function ApiKeysTable<K extends ApiKeyRow>({
  apiKeys,
  caption,
  actions,
}: {
  apiKeys: readonly K[];
  caption: string;
  actions: (apiKey: K) => ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {apiKeys.map((key) => (
            <tr key={key.id}>
              <th scope="row">{key.name}</th>
              <td>
                <code>{key.hint}…</code>
              </td>
              <td>
                <DateTime value={key.createdAt} />
              </td>
              <td>
                <DateTime value={key.lastUsedAt} />
              </td>
              <td>
                {key.expiresAt ? (
                  <>
                    <DateTime value={key.expiresAt} precision="day" />
                    {new Date(key.expiresAt) <= new Date() ? ' (expired)' : ''}
                  </>
                ) : (
                  <span className="hint">Never</span>
                )}
              </td>
              <td>{actions(key)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
