import { useState } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import { request } from '../../graphql/client';
import { MyApiKeysQuery, RevokeApiKeyMutation } from '../../graphql/security-account';
import { CreateApiKeyDialog } from './CreateApiKeyDialog';
import { ApiKeysTable } from '../../components/tables/ApiKeysTable';
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
        <ApiKeysTable
          apiKeys={keys}
          caption="Your API keys"
          actions={(key) => (
            <button type="button" className="secondary" onClick={() => revoke(key.id, key.name)} disabled={busy}>
              Revoke
            </button>
          )}
        />
      )}
      {creating ? <CreateApiKeyDialog onCreated={() => void reload()} onClose={() => setCreating(false)} /> : null}
    </Section>
  );
}
