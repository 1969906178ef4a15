import { Section } from '../../../components/Section';
import { factorTypeName } from '../../../components/factor-names';
import { FactorsTable, factorRowHeaderId } from '../../../components/tables/FactorsTable';
import { request } from '../../../graphql/client';
import { AdminRemoveFactorsMutation, AdminSetMfaPolicyStatusMutation } from '../../../graphql/admin-users';
import { policyName } from '../user-facts';
import { ChangeOutcome, useAdminChange } from './admin-change';
import { PolicySwitch } from './PolicySwitch';
import type { User } from './user-types';

export function MfaSection({ user, reload }: { user: User; reload: () => Promise<void> }) {
  const { busy, error, notice, change } = useAdminChange(reload);
  const removeFactors = (factorId: string | undefined, what: string) =>
    change(() => request(AdminRemoveFactorsMutation, { input: { userId: user.id, factorId } }), what);

  return (
    <Section title="Multifactor authentication">
      <ChangeOutcome error={error} notice={notice} />
      <PolicySwitch
        user={user}
        onToggle={() => {
          if (busy) return;
          const status = user.mfaPolicyStatus === 'ENABLED' ? 'DISABLED' : 'ENABLED';
          change(
            () => request(AdminSetMfaPolicyStatusMutation, { input: { userId: user.id, status } }),
            `The MFA policy of ${user.username} is ${policyName(status).toLowerCase()}.`,
          );
        }}
      />
      <p>
        {user.mfaEnabled ? 'Uses a second factor' : 'No second factor in use'}; {user.recoveryCodesRemaining} recovery{' '}
        {user.recoveryCodesRemaining === 1 ? 'code' : 'codes'} left.
      </p>
      {user.factors.length === 0 ? (
        <p className="hint">No factors.</p>
      ) : (
        <>
          <FactorsTable
            factors={user.factors}
            caption="Second factors"
            actions={(factor) => (
              <button
                type="button"
                className="secondary"
                disabled={busy}
                aria-describedby={factorRowHeaderId(factor)}
                onClick={() => removeFactors(factor.id, `The ${factorTypeName(factor.type)} factor is removed.`)}
              >
                Remove
              </button>
            )}
          />
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => removeFactors(undefined, `Every factor of ${user.username} is removed.`)}
            >
              Remove all factors
            </button>
          </div>
        </>
      )}
    </Section>
  );
}
