import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction } from '../components/use-action';
import { CodeField, Field } from '../components/Field';
import { factorTypeName } from '../components/factor-names';
import { createPasskey } from '../components/webauthn';
import { request } from '../graphql/client';
import { AcceptMfaMutation, EnableMfaMutation, FactorTypesQuery } from '../graphql/operations';
import type { ConsoleEnableMfaMutation } from '../gql/graphql';
import { RecoveryCodesPage } from './RecoveryCodesPage';

type Enrollment = ConsoleEnableMfaMutation['enableMfa'];
type Step =
  | { kind: 'choose' }
  | { kind: 'totp'; enrollment: Enrollment; secret: string; qrCodeSvg: string }
  | { kind: 'email'; enrollment: Enrollment; maskedEmail: string }
  | { kind: 'passkey' }
  | { kind: 'codes'; codes: string[] };

/** The enrollment wizard: choose an allowed type, set it up, confirm it, then save the recovery codes (if new). */
export function EnrollPage({ onDone }: { onDone: () => void }) {
  const [types, setTypes] = useState<Array<{ type: string; displayName: string }> | null>(null);
  const [choice, setChoice] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const { busy, error, setError, notice, setNotice, run } = useAction({
    code: 'PASSKEY',
    message: 'The passkey was not created.',
  });
  const errorId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    request(FactorTypesQuery)
      .then(({ factorTypes }) => {
        const allowed = factorTypes.filter((type) => type.allowed);
        setTypes(allowed);
        setChoice(allowed[0]?.type ?? '');
      })
      .catch((caught: unknown) => setError(caught));
  }, []);

  useEffect(() => {
    if (step.kind !== 'choose') headingRef.current?.focus();
  }, [step.kind]);

  const afterAccept = (enrollment: Enrollment) => {
    setCode('');
    if (enrollment.scratchCodes?.length) setStep({ kind: 'codes', codes: enrollment.scratchCodes });
    else onDone();
  };

  const next = (event: FormEvent) => {
    event.preventDefault();
    if (choice === 'webauthn') {
      setStep({ kind: 'passkey' });
      return;
    }
    void run(async () => {
      const { enableMfa } = await request(EnableMfaMutation, { input: { factorType: choice } });
      const details = enableMfa.details;
      if (details?.__typename === 'TotpEnrollment') {
        setStep({
          kind: 'totp',
          enrollment: enableMfa,
          secret: details.secretKey,
          qrCodeSvg: details.qrCodeSvg,
        });
      } else if (details?.__typename === 'EmailEnrollment') {
        setStep({ kind: 'email', enrollment: enableMfa, maskedEmail: details.maskedEmail });
      }
    });
  };

  const confirmCode = (enrollment: Enrollment) => (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await request(AcceptMfaMutation, { input: { token: enrollment.token, code: code.trim() } });
      afterAccept(enrollment);
    });
  };

  const createKey = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const { enableMfa } = await request(EnableMfaMutation, {
        input: { factorType: 'webauthn', description: name.trim() || undefined },
      });
      if (enableMfa.details?.__typename !== 'WebAuthnEnrollment') return;
      const response = await createPasskey(enableMfa.details.creationOptions);
      await request(AcceptMfaMutation, { input: { token: enableMfa.token, response } });
      afterAccept(enableMfa);
    });
  };

  if (step.kind === 'codes') return <RecoveryCodesPage codes={step.codes} onFinish={onDone} />;

  const fieldError = error ? errorId : undefined;
  return (
    <main className="card">
      {step.kind === 'choose' ? (
        <form onSubmit={next} noValidate>
          <h1>Enroll in multifactor authentication</h1>
          <ErrorAlert error={error} id={errorId} />
          {types && types.length === 0 ? <p>No method is allowed on this service at the moment.</p> : null}
          {types && types.length > 0 ? (
            <fieldset>
              <legend>Choose how you will confirm it is you</legend>
              {types.map((type) => (
                <label key={type.type} className="choice">
                  <input
                    type="radio"
                    name="factor-type"
                    value={type.type}
                    checked={choice === type.type}
                    onChange={() => setChoice(type.type)}
                  />
                  {factorTypeName(type.type, type.displayName)}
                </label>
              ))}
            </fieldset>
          ) : null}
          <button type="submit" disabled={busy || !choice}>
            Next
          </button>
        </form>
      ) : null}

      {step.kind === 'totp' ? (
        <form onSubmit={confirmCode(step.enrollment)} noValidate>
          <h1 ref={headingRef} tabIndex={-1}>
            Set up your authentication app
          </h1>
          <ErrorAlert error={error} id={errorId} />
          <p>Scan the QR code with your authentication app, or type the secret key into it.</p>
          <img
            className="qr"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(step.qrCodeSvg)}`}
            alt="QR code"
            width={240}
            height={240}
          />
          <p>
            Secret key: <code className="secret">{groupsOfFour(step.secret)}</code>
          </p>
          <CodeField value={code} onChange={setCode} errorId={fieldError} />
          <button type="submit" disabled={busy}>
            Next
          </button>
        </form>
      ) : null}

      {step.kind === 'email' ? (
        <form onSubmit={confirmCode(step.enrollment)} noValidate>
          <h1 ref={headingRef} tabIndex={-1}>
            Confirm your e-mail address
          </h1>
          <ErrorAlert error={error} id={errorId} />
          {notice ? <p role="status">{notice}</p> : null}
          <p>We sent a code to {step.maskedEmail}.</p>
          <CodeField value={code} onChange={setCode} errorId={fieldError} />
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  // sendMfaCode serves ACTIVE factors only: a new enrollment mails a new code and replaces this one.
                  const { enableMfa } = await request(EnableMfaMutation, { input: { factorType: 'email' } });
                  if (enableMfa.details?.__typename === 'EmailEnrollment') {
                    setStep({ kind: 'email', enrollment: enableMfa, maskedEmail: enableMfa.details.maskedEmail });
                  }
                  setNotice('A new code is on its way.');
                })
              }
            >
              Resend
            </button>
            <button type="submit" disabled={busy}>
              Next
            </button>
          </div>
        </form>
      ) : null}

      {step.kind === 'passkey' ? (
        <form onSubmit={createKey} noValidate>
          <h1 ref={headingRef} tabIndex={-1}>
            Create a passkey
          </h1>
          <ErrorAlert error={error} id={errorId} />
          <Field label="Name" value={name} onChange={setName} autoComplete="off" errorId={fieldError} />
          <button type="submit" disabled={busy}>
            Create passkey
          </button>
        </form>
      ) : null}
    </main>
  );
}

/** The secret as people type it: groups of four characters. */
function groupsOfFour(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}
