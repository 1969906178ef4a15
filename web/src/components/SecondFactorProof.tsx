import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ErrorAlert } from './ErrorAlert';
import { CodeField, Field } from './Field';
import { factorTypeName } from './factor-names';
import { useAction } from './use-action';
import { getPasskeyAssertion } from './webauthn';

/** A factor as the API lists it (login's factors, me.factors). */
export interface ProofFactor {
  id: string;
  type: string;
  description?: string | null;
}

/** One second-factor proof, shaped as verifyMfa, stepUp and disableMfa take it. */
export interface Proof {
  factorId?: string;
  code?: string;
  recoveryCode?: string;
  response?: unknown;
}

interface Props {
  factors: ProofFactor[];
  /** Starts an attempt of one factor (beginMfa): an e-mail factor gets a code, a passkey the options it signs. */
  begin: (factorId: string) => Promise<{ options?: unknown }>;
  /** Spends the proof; throws the API's error, which is shown here. */
  onProof: (proof: Proof) => Promise<void>;
  /** The submit button's name: "Verify", "Disable", … */
  submitLabel: string;
  /** Whether a recovery code may stand in for a code (sign-in, step-up and disabling take one). */
  allowRecoveryCode?: boolean;
  /** Fields asked for with the proof (e.g. "Password"), rendered above it inside the same form. */
  children?: ReactNode;
  /** Shown under the error, e.g. a "Start again" button when the sign-in expired. */
  afterError?: (error: unknown) => ReactNode;
}

/**
 * The one way the console asks for a second factor, at sign-in, for step-up and before removing factors: a code
 * from the chosen factor ("Code"), "Send code" for e-mail, "Use a passkey", or "Use a recovery code" then
 * "Recovery code". Errors (attempts left, lockout countdown) show in place and take the focus.
 */
export function SecondFactorProof({
  factors,
  begin,
  onProof,
  submitLabel,
  allowRecoveryCode = true,
  children,
  afterError,
}: Props) {
  const codeFactors = factors.filter((factor) => factor.type !== 'webauthn');
  const passkey = factors.find((factor) => factor.type === 'webauthn');
  const [factorId, setFactorId] = useState(codeFactors[0]?.id ?? '');
  const [useRecovery, setUseRecovery] = useState(allowRecoveryCode && codeFactors.length === 0 && !passkey);
  const [code, setCode] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'PASSKEY',
    message: 'The passkey was not used.',
  });
  const errorId = useId();
  const groupName = useId();
  const chosen = codeFactors.find((factor) => factor.id === factorId);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() =>
      onProof(
        useRecovery ? { recoveryCode: recoveryCode.trim() } : { factorId: factorId || undefined, code: code.trim() },
      ),
    );
  };

  const sendCode = () =>
    void run(async () => {
      await begin(factorId);
      setNotice('A new code is on its way to your e-mail.');
    });

  const usePasskey = () =>
    void run(async () => {
      if (!passkey) return;
      const { options } = await begin(passkey.id);
      const response = await getPasskeyAssertion(options);
      await onProof({ factorId: passkey.id, response });
    });

  return (
    <form onSubmit={submit} noValidate>
      <ErrorAlert error={error} id={errorId} />
      {error && afterError ? afterError(error) : null}
      {notice ? <p role="status">{notice}</p> : null}
      {children}
      {!useRecovery && codeFactors.length > 1 ? (
        <fieldset>
          <legend>Method</legend>
          {codeFactors.map((factor) => (
            <label key={factor.id} className="choice">
              <input
                type="radio"
                name={groupName}
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
          {submitLabel}
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
        ) : allowRecoveryCode ? (
          <button type="button" className="link" onClick={() => setUseRecovery(true)}>
            Use a recovery code
          </button>
        ) : null}
      </div>
    </form>
  );
}
