import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Link } from '../../components/Link';
import { Section } from '../../components/Section';
import { factorTypeName } from '../../components/factor-names';
import { navigate } from '../../components/router';
import { useStepUp } from '../../components/step-up';
import { useAction } from '../../components/use-action';
import { ApiError, request } from '../../graphql/client';
import {
  AdminDeactivateUserMutation,
  AdminDeleteUserMutation,
  AdminReactivateUserMutation,
  AdminRemoveFactorsMutation,
  AdminRequirePasswordResetMutation,
  AdminRevokeApiKeyMutation,
  AdminRevokeUserSessionsMutation,
  AdminSetMfaPolicyStatusMutation,
  AdminSetUserRoleMutation,
  AdminUnlockUserMutation,
  AdminUserAccessQuery,
  AdminUserQuery,
} from '../../graphql/admin-users';
import type { ConsoleAdminUserAccessQuery, ConsoleAdminUserQuery } from '../../gql/graphql';
import { AdminLayout } from './AdminLayout';
import { formatDateTime, signInMethodName } from '../../components/format';
import { policyName, roleName } from './user-facts';
import './admin-users.css';

type User = NonNullable<ConsoleAdminUserQuery['user']>;
type Access = ConsoleAdminUserAccessQuery;

/**
 * An admin change to this user: the step-up dialog when the API asks for a fresh second factor (then the change
 * runs again), the API's error or a notice in the section that made it, and the page reloaded after.
 */
function useAdminChange(reload: () => Promise<void>) {
  const guard = useStepUp();
  const action = useAction({ code: 'INTERNAL_SERVER_ERROR', message: 'The change failed.' });
  const change = (perform: () => Promise<unknown>, notice: string) =>
    void action.run(async () => {
      await guard(perform);
      // The notice once the page shows the change (and even when reloading it fails: the change itself was made).
      try {
        await reload();
      } finally {
        action.setNotice(notice);
      }
    });
  return { ...action, change };
}

/** One user (/admin/users/<username>): the account, its MFA, sessions and API keys, and what an admin may change. */
export function AdminUserPage({ username }: { username: string }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [access, setAccess] = useState<Access | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    const found = (await request(AdminUserQuery, { username })).user ?? null;
    setUser(found);
    setAccess(found ? await request(AdminUserAccessQuery, { userId: found.id }) : null);
  }, [username]);

  useEffect(() => {
    setUser(undefined);
    setLoadError(null);
    reload().catch((caught: unknown) => setLoadError(caught));
  }, [reload]);

  if (user === null) {
    return (
      <AdminLayout title="User not found">
        <div className="admin-users">
          <p>There is no user named “{username}”.</p>
          <p>
            <Link href="/admin">Back to users</Link>
          </p>
        </div>
      </AdminLayout>
    );
  }

  return (
    <AdminLayout title={username}>
      <div className="admin-users admin-user">
        <p>
          <Link href="/admin">Back to users</Link>
        </p>
        <ErrorAlert error={loadError} />
        {user === undefined ? (
          loadError ? null : (
            <p role="status">Loading…</p>
          )
        ) : (
          <>
            <AccountSection user={user} reload={reload} />
            <MfaSection user={user} reload={reload} />
            <SessionsSection user={user} sessions={access?.sessions ?? []} reload={reload} />
            <ApiKeysSection user={user} apiKeys={access?.apiKeys ?? []} reload={reload} />
          </>
        )}
      </div>
    </AdminLayout>
  );
}

/** Why the API refused a change (e.g. what may not be done to an admin account): its own words, under the alert. */
function RefusalReason({ error }: { error: unknown }) {
  return error instanceof ApiError && error.code === 'FORBIDDEN' ? <p className="hint">{error.message}</p> : null;
}

/** What became of a section's last change: the API's error, or a notice once the page shows it. */
function ChangeOutcome({ error, notice }: { error: unknown; notice: string }) {
  return (
    <>
      <ErrorAlert error={error} />
      <RefusalReason error={error} />
      <p role="status" className={notice ? 'notice' : undefined}>
        {notice}
      </p>
    </>
  );
}

function AccountSection({ user, reload }: { user: User; reload: () => Promise<void> }) {
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
      {deleting ? <DeleteDialog user={user} onClose={() => setDeleting(false)} /> : null}
    </Section>
  );
}

/** Deleting cannot be undone: the admin types the username to confirm, then the console returns to the users. */
function DeleteDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const guard = useStepUp();
  const { busy, error, run } = useAction({ code: 'INTERNAL_SERVER_ERROR', message: 'The user was not deleted.' });
  const [typed, setTyped] = useState('');
  const errorId = useId();
  const confirmed = typed.trim() === user.username;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!confirmed) return;
    void run(async () => {
      await guard(() => request(AdminDeleteUserMutation, { input: { userId: user.id } }));
      navigate('/admin');
    });
  };

  return (
    <Dialog title={`Delete ${user.username}`} onClose={onClose}>
      <p>
        This deletes the account with its second factors, sessions, API keys and recovery codes. It cannot be undone;
        the username becomes free again.
      </p>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} id={errorId} />
        <RefusalReason error={error} />
        <Field
          label="Type the username to confirm"
          value={typed}
          onChange={setTyped}
          autoComplete="off"
          spellCheck={false}
          errorId={error ? errorId : undefined}
        />
        <button type="submit" className="danger" disabled={busy || !confirmed}>
          Delete
        </button>
      </form>
    </Dialog>
  );
}

function MfaSection({ user, reload }: { user: User; reload: () => Promise<void> }) {
  const { busy, error, notice, change } = useAdminChange(reload);
  const removeFactors = (factorId: string | undefined, what: string) =>
    change(() => request(AdminRemoveFactorsMutation, { input: { userId: user.id, factorId } }), what);

  return (
    <Section title="Multifactor authentication">
      <ChangeOutcome error={error} notice={notice} />
      <PolicySwitch
        user={user}
        onToggle={() => {
          if (busy) return;
          const status = user.mfaPolicyStatus === 'ENABLED' ? 'DISABLED' : 'ENABLED';
          change(
            () => request(AdminSetMfaPolicyStatusMutation, { input: { userId: user.id, status } }),
            `The MFA policy of ${user.username} is ${policyName(status).toLowerCase()}.`,
          );
        }}
      />
      <p>
        {user.mfaEnabled ? 'Uses a second factor' : 'No second factor in use'}; {user.recoveryCodesRemaining} recovery{' '}
        {user.recoveryCodesRemaining === 1 ? 'code' : 'codes'} left.
      </p>
      {user.factors.length === 0 ? (
        <p className="hint">No factors.</p>
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Second factors</caption>
              <thead>
                <tr>
                  <th scope="col">Factor</th>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Added</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {user.factors.map((factor) => (
                  <tr key={factor.id}>
                    <th scope="row">{factorTypeName(factor.type)}</th>
                    <td>{factor.description ?? '—'}</td>
                    <td>{factor.status === 'ACTIVE' ? 'Active' : 'Pending'}</td>
                    <td>{formatDateTime(factor.createdAt)}</td>
                    <td>{formatDateTime(factor.lastUsedAt)}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        disabled={busy}
                        onClick={() =>
                          removeFactors(factor.id, `The ${factorTypeName(factor.type)} factor is removed.`)
                        }
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => removeFactors(undefined, `Every factor of ${user.username} is removed.`)}
            >
              Remove all factors
            </button>
          </div>
        </>
      )}
    </Section>
  );
}

/** The "MFA policy" switch: checked is ENABLED, and a change applies at once. An admin's is always on. */
function PolicySwitch({ user, onToggle }: { user: User; onToggle: () => void }) {
  const labelId = useId();
  const hintId = useId();
  const enabled = user.mfaPolicyStatus === 'ENABLED';
  const admin = user.role === 'ADMIN';
  const hint = admin
    ? 'Always enabled for admins: they sign in with a second factor.'
    : enabled
      ? 'Every password sign-in needs a second factor; without one, the user enrolls at the next sign-in.'
      : 'The password alone signs in.';
  return (
    <div className="switch-row">
      <span id={labelId} className="switch-label">
        MFA policy
      </span>
      <button
        type="button"
        role="switch"
        className="switch"
        aria-checked={enabled}
        aria-labelledby={labelId}
        aria-describedby={hintId}
        disabled={admin}
        onClick={onToggle}
      >
        <span className="switch-track" aria-hidden="true" />
        <span aria-hidden="true">{policyName(user.mfaPolicyStatus)}</span>
      </button>
      <span id={hintId} className="hint">
        {hint}
      </span>
    </div>
  );
}

function SessionsSection({
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
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Sessions</caption>
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">Address</th>
                <th scope="col">Browser</th>
                <th scope="col">Proven by</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <th scope="row">{formatDateTime(session.createdAt)}</th>
                  <td>{formatDateTime(session.lastUsedAt)}</td>
                  <td>{session.ip ?? '—'}</td>
                  <td>{session.userAgent ?? '—'}</td>
                  <td>{signInMethodName(session.method)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function ApiKeysSection({
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
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">API keys of {user.username}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
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
                    <code>{key.hint}</code>
                  </td>
                  <td>{formatDateTime(key.createdAt)}</td>
                  <td>{key.expiresAt ? formatDateTime(key.expiresAt) : 'Never'}</td>
                  <td>{formatDateTime(key.lastUsedAt)}</td>
                  <td>
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
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
