import { useId, useState, type FormEvent } from 'react';
import { Dialog } from '../../../components/Dialog';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { Field } from '../../../components/Field';
import { navigate } from '../../../components/router';
import { useStepUp } from '../../../components/step-up';
import { useAction } from '../../../components/use-action';
import { request } from '../../../graphql/client';
import { AdminDeleteUserMutation } from '../../../graphql/admin-users';
import type { User } from './user-types';

/** Deleting cannot be undone: the admin types the username to confirm, then the console returns to the users. */
export function DeleteUserDialog({ user, onClose }: { user: User; onClose: () => void }) {
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
