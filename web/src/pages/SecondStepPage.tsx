import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction } from '../components/use-action';
import { CodeField, Field } from '../components/Field';
import { factorTypeName } from '../components/factor-names';
import { getPasskeyAssertion } from '../components/webauthn';
import { ApiError, request } from '../graphql/client';
import { BeginMfaMutation, SendMfaCodeMutation, VerifyMfaMutation } from '../graphql/operations';
import type { ConsoleLoginMutation } from '../gql/graphql';
import type { SignedInUser } from '../session';

type Factor = NonNullable<ConsoleLoginMutation['login']['factors']>[number];

interface Props {
  mfaToken: string;
  factors: Factor[];
  onSignedIn: (user: SignedInUser, enroll: boolean) => void;
  onRestart: () => void;
}

/**
 * The second step of a sign-in: a code from one of the account's factors, a recovery code, or a passkey. "Remember
 * this device" is not offered yet: the API tells whether devices are remembered only to a signed-in caller
 * (mfaPolicy), and the device token it returns would have to be stored by the page, which the console never does.
 */
export function SecondStepPage({ mfaToken, factors, onSignedIn, onRestart }: Props) {
  const codeFactors = factors.filter((factor) => factor.type !== 'webauthn');
  const passkey = factors.find((factor) => factor.type === 'webauthn');
  const [factorId, setFactorId] = useState(codeFactors[0]?.id ?? '');
  const [useRecovery, setUseRecovery] = useState(codeFactors.length === 0 && !passkey);
  const [code, setCode] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'PASSKEY',
    message: 'The passkey was not used.',
  });
  const errorId = useId();
  const chosen = codeFactors.find((factor) => factor.id === factorId);

  const finish = (payload: { enrollmentRequired: boolean; user?: SignedInUser | null }) => {
    if (payload.user) onSignedIn(payload.user, payload.enrollmentRequired);
  };

  const verify = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const input = useRecovery
        ? { mfaToken, recoveryCode: recoveryCode.trim() }
        : { mfaToken, factorId: factorId || undefined, code: code.trim() };
      const { verifyMfa } = await request(VerifyMfaMutation, { input });
      finish(verifyMfa);
    });
  };

  const sendCode = () =>
    void run(async () => {
      await request(SendMfaCodeMutation, { input: { mfaToken, factorId } });
      setNotice('A new code is on its way to your e-mail.');
    });

  const usePasskey = () =>
    void run(async () => {
      if (!passkey) return;
      const { beginMfa } = await request(BeginMfaMutation, { input: { mfaToken, factorId: passkey.id } });
      const response = await getPasskeyAssertion(beginMfa.options);
      const { verifyMfa } = await request(VerifyMfaMutation, { input: { mfaToken, factorId: passkey.id, response } });
      finish(verifyMfa);
    });

  const expired = error instanceof ApiError && error.code === 'TOKEN_EXPIRED';

  return (
    <main className="card">
      <h1>Verify it is you</h1>
      <form onSubmit={verify} noValidate>
        <ErrorAlert error={error} id={errorId} />
        {expired ? (
          <button type="button" onClick={onRestart}>
            Start again
          </button>
        ) : null}
        {notice ? <p role="status">{notice}</p> : null}
        {!useRecovery && codeFactors.length > 1 ? (
          <fieldset>
            <legend>Method</legend>
            {codeFactors.map((factor) => (
              <label key={factor.id} className="choice">
                <input
                  type="radio"
                  name="factor"
                  value={factor.id}
                  checked={factor.id === factorId}
                  onChange={() => setFactorId(factor.id)}
                />
                {factorTypeName(factor.type)}
                {factor.description ? ` (${factor.description})` : ''}
              </label>
            ))}
          </fieldset>
        ) : null}
        {useRecovery ? (
          <Field
            label="Recovery code"
            value={recoveryCode}
            onChange={setRecoveryCode}
            autoComplete="off"
            spellCheck={false}
            required
            errorId={error ? errorId : undefined}
          />
        ) : codeFactors.length > 0 ? (
          <CodeField value={code} onChange={setCode} errorId={error ? errorId : undefined} />
        ) : null}
        {useRecovery || codeFactors.length > 0 ? (
          <button type="submit" disabled={busy}>
            Verify
          </button>
        ) : null}
        <div className="alternatives">
          {!useRecovery && chosen?.type === 'email' ? (
            <button type="button" className="secondary" onClick={sendCode} disabled={busy}>
              Send code
            </button>
          ) : null}
          {passkey ? (
            <button type="button" className="secondary" onClick={usePasskey} disabled={busy}>
              Use a passkey
            </button>
          ) : null}
          {useRecovery ? (
            codeFactors.length > 0 ? (
              <button type="button" className="link" onClick={() => setUseRecovery(false)}>
                Use a code instead
              </button>
            ) : null
          ) : (
            <button type="button" className="link" onClick={() => setUseRecovery(true)}>
              Use a recovery code
            </button>
          )}
        </div>
      </form>
    </main>
  );
}
