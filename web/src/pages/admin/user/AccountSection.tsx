import { useState } from 'react';
import { Section } from '../../../components/Section';
import { formatDateTime } from '../../../components/format';
import { request } from '../../../graphql/client';
import {
  AdminDeactivateUserMutation,
  AdminReactivateUserMutation,
  AdminRequirePasswordResetMutation,
  AdminSetUserRoleMutation,
  AdminUnlockUserMutation,
} from '../../../graphql/admin-users';
import { roleName } from '../user-facts';
import { ChangeOutcome, useAdminChange } from './admin-change';
import { DeleteUserDialog } from './DeleteUserDialog';
import type { User } from './user-types';

export function AccountSection({ user, reload }: { user: User; reload: () => Promise<void> }) {
  const { busy, error, notice, change } = useAdminChange(reload);
  const [deleting, setDeleting] = useState(false);
  const input = { input: { userId: user.id } };

  return (
    <Section title="Account">
      <ChangeOutcome error={error} notice={notice} />
      <dl className="facts">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        <dt>E-mail</dt>
        <dd>{user.email ? `${user.email} (${user.emailVerified ? 'verified' : 'unverified'})` : '—'}</dd>
        <dt>Role</dt>
        <dd>{roleName(user.role)}</dd>
        <dt>Status</dt>
        <dd>{user.active ? 'Active' : 'Deactivated: cannot sign in'}</dd>
        <dt>Locked</dt>
        <dd>{user.lockedUntil ? `Until ${formatDateTime(user.lockedUntil)} (too many wrong codes)` : 'No'}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(user.createdAt)}</dd>
      </dl>
      <div className="actions">
        {user.lockedUntil ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => change(() => request(AdminUnlockUserMutation, input), `${user.username} is unlocked.`)}
          >
            Unlock
          </button>
        ) : null}
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() =>
            change(
              () =>
                request(AdminSetUserRoleMutation, {
                  input: { userId: user.id, role: user.role === 'ADMIN' ? 'USER' : 'ADMIN' },
                }),
              user.role === 'ADMIN' ? `${user.username} is a user now.` : `${user.username} is an admin now.`,
            )
          }
        >
          {user.role === 'ADMIN' ? 'Make user' : 'Make admin'}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() =>
            change(
              () => request(AdminRequirePasswordResetMutation, input),
              `${user.username} must choose a new password before signing in again; their sessions ended.`,
            )
          }
        >
          Require password reset
        </button>
        {user.active ? (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() =>
              change(
                () => request(AdminDeactivateUserMutation, input),
                `${user.username} is deactivated: they cannot sign in, and their sessions and API keys stopped.`,
              )
            }
          >
            Deactivate
          </button>
        ) : (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() =>
              change(() => request(AdminReactivateUserMutation, input), `${user.username} may sign in again.`)
            }
          >
            Reactivate
          </button>
        )}
        <button type="button" className="danger" disabled={busy} onClick={() => setDeleting(true)}>
          Delete
        </button>
      </div>
      {deleting ? <DeleteUserDialog user={user} onClose={() => setDeleting(false)} /> : null}
    </Section>
  );
}
