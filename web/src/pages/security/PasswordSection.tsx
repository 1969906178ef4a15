import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Section } from '../../components/Section';
import { useStepUp } from '../../components/step-up';
import { useAction } from '../../components/use-action';
import { ApiError, request } from '../../graphql/client';
import { ChangePasswordMutation } from '../../graphql/security-account';
import { announceCredentialsChanged } from './account-events';
import './account-sections.css';

type PasswordField = 'currentPassword' | 'newPassword' | 'confirmPassword';

/**
 * "Change password": the current one, the new one twice. With MFA on, the API wants a second factor from the last
 * five minutes; "Confirm it is you" then opens inline and the change runs again once it is confirmed.
 */
export function PasswordSection() {
  const guard = useStepUp();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirmPassword, setConfirmPassword] = useState('');
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Something went wrong.',
  });
  const errorId = useId();
  const wrongField = fieldOf(error);
  const describedIf = (field: PasswordField) => (wrongField === field ? errorId : undefined);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      if (!currentPassword || !newPassword)
        throw new ApiError('BAD_USER_INPUT', 'Type your current password and a new one.', {
          field: currentPassword ? 'newPassword' : 'currentPassword',
        });
      if (newPassword !== confirmPassword)
        throw new ApiError('BAD_USER_INPUT', 'The new password and its confirmation differ. Type them again.', {
          field: 'confirmPassword',
        });
      try {
        await guard(() => request(ChangePasswordMutation, { input: { currentPassword, newPassword } }));
      } catch (caught) {
        // Sign-in's wording ("username or password") would mislead here: only the current password was checked.
        if (caught instanceof ApiError && caught.code === 'INVALID_CREDENTIALS')
          throw new ApiError('BAD_USER_INPUT', 'The current password is wrong.', { field: 'currentPassword' });
        throw caught;
      }
      setCurrentPassword('');
      setNewPassword('');
      setConfirmPassword('');
      setNotice(
        'Your password was changed. Your other sessions were signed out and your remembered devices forgotten; ' +
          'this one stays signed in.',
      );
      announceCredentialsChanged();
    });
  };

  return (
    <Section title="Password">
      <form onSubmit={submit} noValidate className="account-form">
        <ErrorAlert error={error} id={errorId} />
        <p role="status" className="account-notice">
          {notice}
        </p>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={setCurrentPassword}
          required
          errorId={describedIf('currentPassword')}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={setNewPassword}
          required
          errorId={describedIf('newPassword')}
        />
        <Field
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          value={confirmPassword}
          onChange={setConfirmPassword}
          required
          errorId={describedIf('confirmPassword')}
        />
        <p className="hint">
          A long passphrase is best; common and easily guessed passwords are refused. Changing it signs out your other
          sessions and forgets your remembered devices.
        </p>
        <button type="submit" disabled={busy}>
          Change password
        </button>
      </form>
    </Section>
  );
}

/** Which field an error is about: the API names it in `extensions.field` (a refused new password is newPassword). */
function fieldOf(error: unknown): PasswordField | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const field = error.extensions.field;
  if (field === 'currentPassword' || field === 'newPassword' || field === 'confirmPassword') return field;
  return error.code === 'BAD_USER_INPUT' && error.extensions.rule ? 'newPassword' : undefined;
}
