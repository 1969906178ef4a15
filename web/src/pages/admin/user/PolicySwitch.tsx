import { useId } from 'react';
import { policyName } from '../user-facts';
import type { User } from './user-types';

/** The "MFA policy" switch: checked is ENABLED, and a change applies at once. An admin's is always on. */
export function PolicySwitch({ user, onToggle }: { user: User; onToggle: () => void }) {
  const labelId = useId();
  const hintId = useId();
  const enabled = user.mfaPolicyStatus === 'ENABLED';
  const admin = user.role === 'ADMIN';
  const hint = admin
    ? 'Always enabled for admins: they sign in with a second factor.'
    : enabled
      ? 'Every password sign-in needs a second factor; without one, the user enrolls at the next sign-in.'
      : 'The password alone signs in.';
  return (
    <div className="switch-row">
      <span id={labelId} className="switch-label">
        MFA policy
      </span>
      <button
        type="button"
        role="switch"
        className="switch"
        aria-checked={enabled}
        aria-labelledby={labelId}
        aria-describedby={hintId}
        disabled={admin}
        onClick={onToggle}
      >
        <span className="switch-track" aria-hidden="true" />
        <span aria-hidden="true">{policyName(user.mfaPolicyStatus)}</span>
      </button>
      <span id={hintId} className="hint">
        {hint}
      </span>
    </div>
  );
}
