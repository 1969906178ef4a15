import { Section } from '../../../components/Section';
import { ApiKeysTable } from '../../../components/tables/ApiKeysTable';
import { request } from '../../../graphql/client';
import { AdminRevokeApiKeyMutation } from '../../../graphql/admin-users';
import { ChangeOutcome, useAdminChange } from './admin-change';
import type { Access, User } from './user-types';

export function ApiKeysSection({
  user,
  apiKeys,
  reload,
}: {
  user: User;
  apiKeys: Access['apiKeys'];
  reload: () => Promise<void>;
}) {
  const { busy, error, notice, change } = useAdminChange(reload);
  return (
    <Section title="API keys">
      <ChangeOutcome error={error} notice={notice} />
      {apiKeys.length === 0 ? (
        <p className="hint">No API keys.</p>
      ) : (
        <ApiKeysTable
          apiKeys={apiKeys}
          caption={`API keys of ${user.username}`}
          actions={(key) => (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                change(
                  () => request(AdminRevokeApiKeyMutation, { input: { id: key.id } }),
                  `The API key “${key.name}” is revoked.`,
                )
              }
            >
              Revoke
            </button>
          )}
        />
      )}
    </Section>
  );
}
