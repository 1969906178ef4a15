import { Section } from '../../../components/Section';
import { SessionsTable } from '../../../components/tables/SessionsTable';
import { request } from '../../../graphql/client';
import { AdminRevokeUserSessionsMutation } from '../../../graphql/admin-users';
import { ChangeOutcome, useAdminChange } from './admin-change';
import type { Access, User } from './user-types';

export function SessionsSection({
  user,
  sessions,
  reload,
}: {
  user: User;
  sessions: Access['sessions'];
  reload: () => Promise<void>;
}) {
  const { busy, error, notice, change } = useAdminChange(reload);
  return (
    <Section
      title="Sessions"
      actions={
        sessions.length > 0 ? (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() =>
              change(
                () => request(AdminRevokeUserSessionsMutation, { input: { userId: user.id } }),
                `Every session of ${user.username} ended.`,
              )
            }
          >
            Sign out everywhere
          </button>
        ) : null
      }
    >
      <ChangeOutcome error={error} notice={notice} />
      {sessions.length === 0 ? (
        <p className="hint">No live sessions.</p>
      ) : (
        <SessionsTable sessions={sessions} caption="Sessions" />
      )}
    </Section>
  );
}
