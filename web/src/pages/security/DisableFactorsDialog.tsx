import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { SecondFactorProof, type Proof, type ProofFactor } from '../../components/SecondFactorProof';
import { factorTypeName } from '../../components/factor-names';
import { ApiError, request } from '../../graphql/client';
import { BeginMfaMutation } from '../../graphql/operations';
import { DisableMfaMutation } from '../../graphql/security-factors';

/**
 * Removes one factor (`factor`) or all of them (none given) with disableMfa: the password and a proof from any ACTIVE
 * factor (a code, a passkey) or a recovery code, since the factor removed is often the one whose device is lost.
 */
export function DisableFactorsDialog({
  factor,
  activeFactors,
  onClose,
  onDisabled,
}: {
  factor?: ProofFactor;
  activeFactors: ProofFactor[];
  onClose: () => void;
  onDisabled: () => void;
}) {
  const [password, setPassword] = useState('');
  const title = factor ? `Remove ${describeFactor(factor)}` : 'Disable multifactor authentication';

  const disable = async (proof: Proof) => {
    try {
      await request(DisableMfaMutation, {
        input: {
          // The factor removed; the proof's own factorId is only which factor answered, which disableMfa finds itself.
          factorId: factor?.id,
          password,
          code: proof.code,
          recoveryCode: proof.recoveryCode,
          response: proof.response,
        },
      });
    } catch (error) {
      // Only the password was asked for here: say so rather than "the username or password".
      if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS')
        throw new ApiError('BAD_USER_INPUT', 'The password is wrong. Nothing was removed.', error.extensions);
      throw error;
    }
    onDisabled();
  };

  return (
    <Dialog title={title} onClose={onClose}>
      <p>
        {factor
          ? 'This method will no longer be asked for or accepted at sign-in.'
          : 'Every second factor and recovery code will be removed: signing in will need only your password.'}{' '}
        Confirm with your password and a code from any of your methods, or a recovery code.
      </p>
      <SecondFactorProof
        factors={activeFactors}
        submitLabel="Disable"
        begin={async (factorId) => (await request(BeginMfaMutation, { input: { factorId } })).beginMfa}
        onProof={disable}
      >
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={setPassword}
        />
      </SecondFactorProof>
    </Dialog>
  );
}

/** "Authentication app (work phone)": the type as people know it, and their own name for it. */
export function describeFactor(factor: ProofFactor): string {
  const type = factorTypeName(factor.type);
  return factor.description ? `${type} (${factor.description})` : type;
}
