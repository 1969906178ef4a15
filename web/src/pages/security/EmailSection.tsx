import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Section } from '../../components/Section';
import { useStepUp } from '../../components/step-up';
import { useAction } from '../../components/use-action';
import { ApiError, request } from '../../graphql/client';
import { ChangeEmailMutation, MyEmailQuery, SendEmailVerificationMutation } from '../../graphql/security-account';
import { useLoaded } from './use-loaded';
import './account-sections.css';

/**
 * The account's address: whether it is verified (security notices and reset links go only to a verified one), a
 * fresh verification mail, and a change, which takes effect once the link mailed to the new address is opened.
 */
export function EmailSection() {
  const guard = useStepUp();
  const { data: me, loadError, reload } = useLoaded(async () => (await request(MyEmailQuery)).me);
  const [newEmail, setNewEmail] = useState('');
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Something went wrong.',
  });
  const errorId = useId();

  const sendVerification = () =>
    void run(async () => {
      await request(SendEmailVerificationMutation);
      setNotice(`We sent a verification link to ${me?.email ?? 'your address'}. Open it to verify the address.`);
    });

  const change = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const email = newEmail.trim();
      if (!email) throw new ApiError('BAD_USER_INPUT', 'Type the new e-mail address.', { field: 'email' });
      await guard(() => request(ChangeEmailMutation, { input: { email } }));
      setNewEmail('');
      await reload();
      setNotice(
        `We sent a link to ${email}. Your address changes once you open it; until then ${
          me?.email ? `${me.email} stays your address` : 'your account keeps no address'
        }.`,
      );
    });
  };

  return (
    <Section title="E-mail address">
      <ErrorAlert error={error ?? loadError} id={errorId} />
      <p role="status" className="account-notice">
        {notice}
      </p>
      {me === undefined ? (
        loadError ? null : (
          <p>Loading…</p>
        )
      ) : (
        <>
          <p>
            {me?.email ? (
              <>
                Your address is <strong>{me.email}</strong>
                {me.emailVerified ? (
                  <span className="tag">Verified</span>
                ) : (
                  <span className="tag tag-warning">Not verified</span>
                )}
              </>
            ) : (
              'Your account has no e-mail address.'
            )}
          </p>
          {me?.email && !me.emailVerified ? (
            <>
              <p className="hint">Security notices and password reset links are sent only to a verified address.</p>
              <div className="actions">
                <button type="button" className="secondary" onClick={sendVerification} disabled={busy}>
                  Send verification e-mail
                </button>
              </div>
            </>
          ) : null}
        </>
      )}
      <form onSubmit={change} noValidate className="account-form">
        <h3>Change your address</h3>
        <Field
          label="New e-mail address"
          type="email"
          autoComplete="email"
          value={newEmail}
          onChange={setNewEmail}
          required
          errorId={error instanceof ApiError && error.extensions.field === 'email' ? errorId : undefined}
        />
        <button type="submit" disabled={busy}>
          Change e-mail
        </button>
      </form>
    </Section>
  );
}
