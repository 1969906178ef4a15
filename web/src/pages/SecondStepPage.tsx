import { SecondFactorProof } from '../components/SecondFactorProof';
import { ApiError, request } from '../graphql/client';
import { BeginMfaMutation, VerifyMfaMutation } from '../graphql/operations';
import type { ConsoleLoginMutation } from '../gql/graphql';
import type { SignedInUser } from '../session';

type Factor = NonNullable<ConsoleLoginMutation['login']['factors']>[number];

interface Props {
  mfaToken: string;
  factors: Factor[];
  onSignedIn: (user: SignedInUser, enroll: boolean) => void;
  onRestart: () => void;
}

/** The second step of a sign-in: a code from one of the account's factors, a recovery code, or a passkey. */
export function SecondStepPage({ mfaToken, factors, onSignedIn, onRestart }: Props) {
  return (
    <main className="card">
      <h1>Verify it is you</h1>
      <SecondFactorProof
        factors={factors}
        submitLabel="Verify"
        begin={async (factorId) => (await request(BeginMfaMutation, { input: { mfaToken, factorId } })).beginMfa}
        onProof={async (proof) => {
          const { verifyMfa } = await request(VerifyMfaMutation, { input: { mfaToken, ...proof } });
          if (verifyMfa.user) onSignedIn(verifyMfa.user, verifyMfa.enrollmentRequired);
        }}
        afterError={(error) =>
          error instanceof ApiError && error.code === 'TOKEN_EXPIRED' ? (
            <button type="button" onClick={onRestart}>
              Start again
            </button>
          ) : null
        }
      />
    </main>
  );
}
