import { useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { useStepUp } from '../../components/step-up';
import { useAction } from '../../components/use-action';
import { ApiError, request } from '../../graphql/client';
import { AdminPolicyQuery, SetMfaPolicyMutation } from '../../graphql/admin-settings';
import type { ConsoleAdminPolicyQuery, SetMfaPolicyInput } from '../../gql/graphql';
import { AdminLayout } from './AdminLayout';
import './admin-settings.css';

type Policy = ConsoleAdminPolicyQuery['mfaPolicy'];
type FactorType = ConsoleAdminPolicyQuery['factorTypes'][number];

/** The settings as the form holds them: day counts as typed, so a half-typed number is not lost. */
interface Draft {
  allowed: string[];
  trustedDeviceDays: string;
  enrollmentGraceDays: string;
  passkeySignIn: boolean;
}

const MAX_DAYS = 90;

const draftOf = (policy: Policy): Draft => ({
  allowed: policy.allowedFactorTypes,
  trustedDeviceDays: String(policy.trustedDeviceDays),
  enrollmentGraceDays: String(policy.enrollmentGraceDays),
  passkeySignIn: policy.passkeySignIn,
});

/**
 * The MFA policy every account shares: which factor types users may enroll ("Allowed methods") and the sign-in
 * settings. Saving sends only what changed (some changes end sessions: fewer trusted-device days, a shorter
 * grace), behind the step-up an admin change needs.
 */
export function AdminPolicyPage() {
  const [types, setTypes] = useState<FactorType[] | null>(null);
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const { busy, error, setError, notice, setNotice, run } = useAction({
    code: 'FAILED',
    message: 'The policy was not saved.',
  });
  const guard = useStepUp();
  const errorId = useId();
  const hintId = useId();

  useEffect(() => {
    request(AdminPolicyQuery)
      .then((data) => {
        setTypes(data.factorTypes);
        setPolicy(data.mfaPolicy);
        setDraft(draftOf(data.mfaPolicy));
      })
      .catch((caught: unknown) => setError(caught));
  }, []);

  const errorField = error instanceof ApiError ? error.extensions.field : undefined;
  const describedBy = (field: string) => (errorField === field ? errorId : undefined);

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!policy || !draft) return;
    void run(async () => {
      const input = changes(policy, draft);
      if (Object.keys(input).length === 0) {
        setNotice('Nothing changed.');
        return;
      }
      const { setMfaPolicy } = await guard(() => request(SetMfaPolicyMutation, { input }));
      setPolicy(setMfaPolicy);
      setDraft(draftOf(setMfaPolicy));
      setTypes(
        (current) =>
          current?.map((type) => ({ ...type, allowed: setMfaPolicy.allowedFactorTypes.includes(type.type) })) ?? null,
      );
      setNotice('The policy is saved.');
    });
  };

  const toggle = (type: string, on: boolean) =>
    setDraft(
      (current) =>
        current && {
          ...current,
          allowed: on
            ? [...current.allowed.filter((t) => t !== type), type]
            : current.allowed.filter((t) => t !== type),
        },
    );

  return (
    <AdminLayout title="Policy">
      <ErrorAlert error={error} id={errorId} />
      {!types || !policy || !draft ? (
        error ? null : (
          <p>Loading…</p>
        )
      ) : (
        <form onSubmit={save} noValidate className="admin-settings">
          <fieldset aria-describedby={describedBy('allowedFactorTypes')}>
            <legend>Allowed methods</legend>
            <p className="hint" id={hintId}>
              The second factors users may enroll. Factors a user already has keep working.
            </p>
            {types.map((type) => (
              <div key={type.type} className="choice-row">
                <label className="choice">
                  <input
                    type="checkbox"
                    checked={draft.allowed.includes(type.type)}
                    onChange={(event) => toggle(type.type, event.target.checked)}
                    aria-describedby={`${hintId}-${type.type}`}
                  />
                  {type.displayName}
                </label>
                <span className="hint" id={`${hintId}-${type.type}`}>
                  Assurance: {type.assurance}
                </span>
              </div>
            ))}
          </fieldset>
          <fieldset>
            <legend>Sign-in settings</legend>
            <Field
              label="Trusted device days"
              type="number"
              inputMode="numeric"
              min={0}
              max={MAX_DAYS}
              value={draft.trustedDeviceDays}
              onChange={(value) => setDraft({ ...draft, trustedDeviceDays: value })}
              errorId={describedBy('trustedDeviceDays')}
            />
            <p className="hint">
              How long “Remember this device” skips the second factor, 0 to {MAX_DAYS}; 0 turns it off and forgets every
              remembered device. Never for admins.
            </p>
            <Field
              label="Enrollment grace days"
              type="number"
              inputMode="numeric"
              min={0}
              max={MAX_DAYS}
              value={draft.enrollmentGraceDays}
              onChange={(value) => setDraft({ ...draft, enrollmentGraceDays: value })}
              errorId={describedBy('enrollmentGraceDays')}
            />
            <p className="hint">
              How long a user whose MFA was turned on may put off enrolling, 0 to {MAX_DAYS}; 0: at the next sign-in.
            </p>
            <label className="choice">
              <input
                type="checkbox"
                checked={draft.passkeySignIn}
                onChange={(event) => setDraft({ ...draft, passkeySignIn: event.target.checked })}
              />
              Passkeys sign in without a password
            </label>
          </fieldset>
          <p>
            Recovery codes per set: <strong>{policy.recoveryCodeCount}</strong> (set on the server with
            RECOVERY_CODE_COUNT).
          </p>
          <div className="actions">
            <button type="submit" disabled={busy}>
              Save
            </button>
          </div>
          <p role="status" className="notice">
            {notice}
          </p>
        </form>
      )}
    </AdminLayout>
  );
}

/** The settings that differ from the saved policy, day counts checked here so a typo is named before any request. */
function changes(policy: Policy, draft: Draft): SetMfaPolicyInput {
  const input: SetMfaPolicyInput = {};
  const sameTypes =
    draft.allowed.length === policy.allowedFactorTypes.length &&
    draft.allowed.every((type) => policy.allowedFactorTypes.includes(type));
  if (!sameTypes) input.allowedFactorTypes = draft.allowed;
  const trustedDeviceDays = days(draft.trustedDeviceDays, 'trustedDeviceDays', 'Trusted device days');
  if (trustedDeviceDays !== policy.trustedDeviceDays) input.trustedDeviceDays = trustedDeviceDays;
  const enrollmentGraceDays = days(draft.enrollmentGraceDays, 'enrollmentGraceDays', 'Enrollment grace days');
  if (enrollmentGraceDays !== policy.enrollmentGraceDays) input.enrollmentGraceDays = enrollmentGraceDays;
  if (draft.passkeySignIn !== policy.passkeySignIn) input.passkeySignIn = draft.passkeySignIn;
  return input;
}

function days(text: string, field: string, label: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value > MAX_DAYS)
    throw new ApiError('BAD_USER_INPUT', `${label} must be a whole number from 0 to ${MAX_DAYS}.`, { field });
  return value;
}
