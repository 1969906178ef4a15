import { useId, useState } from 'react';
import { SecondFactorProof } from '../components/SecondFactorProof';
import { ApiError, request } from '../graphql/client';
import { BeginMfaMutation, VerifyMfaMutation } from '../graphql/operations';
import type { ConsoleSignInMutation } from '../gql/graphql';
import type { SignedInUser } from '../session';
import './second-step.css';

type Factor = NonNullable<ConsoleSignInMutation['login']['factors']>[number];

interface Props {
  mfaToken: string;
  factors: Factor[];
  /** login's trustedDeviceDays: how long "Remember this device" would remember it; 0 when it is not offered. */
  trustedDeviceDays: number;
  onSignedIn: (user: SignedInUser, enroll: boolean) => void;
  onRestart: () => void;
}

/**
 * The second step of a sign-in: a code from one of the account's factors, a recovery code, or a passkey; and, when
 * the policy remembers devices for this account, "Remember this device" (the API keeps the device token in an
 * HttpOnly cookie, so the console never holds it).
 */
export function SecondStepPage({ mfaToken, factors, trustedDeviceDays, onSignedIn, onRestart }: Props) {
  const [rememberDevice, setRememberDevice] = useState(false);
  const hintId = useId();
  return (
    <main className="card">
      <h1>Verify it is you</h1>
      <SecondFactorProof
        factors={factors}
        submitLabel="Verify"
        begin={async (factorId) => (await request(BeginMfaMutation, { input: { mfaToken, factorId } })).beginMfa}
        onProof={async (proof) => {
          const { verifyMfa } = await request(VerifyMfaMutation, {
            input: { mfaToken, ...proof, rememberDevice: trustedDeviceDays > 0 && rememberDevice },
          });
          if (verifyMfa.user) onSignedIn(verifyMfa.user, verifyMfa.enrollmentRequired);
        }}
        afterError={(error) =>
          error instanceof ApiError && error.code === 'TOKEN_EXPIRED' ? (
            <button type="button" onClick={onRestart}>
              Start again
            </button>
          ) : null
        }
      >
        {trustedDeviceDays > 0 ? (
          <div className="field">
            <label className="choice">
              <input
                type="checkbox"
                checked={rememberDevice}
                onChange={(event) => setRememberDevice(event.target.checked)}
                aria-describedby={hintId}
              />
              Remember this device
            </label>
            <p id={hintId} className="hint remember-device-hint">
              For {trustedDeviceDays} {trustedDeviceDays === 1 ? 'day' : 'days'}, signing in on this browser asks only
              for your password (administrator accounts always take the second step). Do not use on a shared computer.
            </p>
          </div>
        ) : null}
      </SecondFactorProof>
    </main>
  );
}
