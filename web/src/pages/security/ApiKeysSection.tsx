import { useState } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import { request } from '../../graphql/client';
import { MyApiKeysQuery, RevokeApiKeyMutation } from '../../graphql/security-account';
import { CreateApiKeyDialog } from './CreateApiKeyDialog';
import { formatDate, formatDateTime } from '../../components/format';
import { useLoaded } from './use-loaded';
import './account-sections.css';

/** Keys for scripts: listed by name and their first characters (never the key), revoked one by one, created here. */
export function ApiKeysSection() {
  const { data: keys, loadError, reload } = useLoaded(async () => (await request(MyApiKeysQuery)).apiKeys);
  const [creating, setCreating] = useState(false);
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Something went wrong.',
  });

  const revoke = (id: string, name: string) =>
    void run(async () => {
      await request(RevokeApiKeyMutation, { input: { id } });
      await reload();
      setNotice(`The key "${name}" was revoked. Scripts using it are refused from now on.`);
    });

  return (
    <Section
      title="API keys"
      actions={
        <button type="button" onClick={() => setCreating(true)}>
          Create API key
        </button>
      }
    >
      <p className="hint account-lead">
        Keys let scripts use the API as you, without a second factor. Revoke any you no longer use.
      </p>
      <ErrorAlert error={error ?? loadError} />
      <p role="status" className="account-notice">
        {notice}
      </p>
      {!keys ? (
        loadError ? null : (
          <p>Loading…</p>
        )
      ) : keys.length === 0 ? (
        <p>No API keys.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Your API keys</caption>
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
              {keys.map((key) => (
                <tr key={key.id}>
                  <th scope="row">{key.name}</th>
                  <td>
                    <code>{key.hint}…</code>
                  </td>
                  <td>
                    <time dateTime={key.createdAt}>{formatDateTime(key.createdAt)}</time>
                  </td>
                  <td>
                    {key.lastUsedAt ? <time dateTime={key.lastUsedAt}>{formatDateTime(key.lastUsedAt)}</time> : 'Never'}
                  </td>
                  <td>
                    {key.expiresAt ? (
                      <>
                        <time dateTime={key.expiresAt}>{formatDate(key.expiresAt)}</time>
                        {new Date(key.expiresAt) <= new Date() ? ' (expired)' : ''}
                      </>
                    ) : (
                      'Never'
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => revoke(key.id, key.name)}
                      disabled={busy}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating ? <CreateApiKeyDialog onCreated={() => void reload()} onClose={() => setCreating(false)} /> : null}
    </Section>
  );
}
