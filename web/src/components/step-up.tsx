import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, request } from '../graphql/client';
import { BeginMfaMutation, MyFactorsQuery, StepUpMutation } from '../graphql/operations';
import { Dialog } from './Dialog';
import { SecondFactorProof, type ProofFactor } from './SecondFactorProof';

/** What an action that needed a fresh second factor throws when the person closed the step-up dialog instead. */
export const STEP_UP_CANCELLED = 'STEP_UP_CANCELLED';

type Guard = <T>(action: () => Promise<T>) => Promise<T>;

const StepUpContext = createContext<Guard | null>(null);

/**
 * Step-up where it is needed: `guard(action)` runs the action; when the API answers STEP_UP_REQUIRED the "Confirm
 * it is you" dialog asks for a second factor (stepUp), then the action runs once more. Closing the dialog makes
 * the action fail with STEP_UP_CANCELLED.
 */
export function useStepUp(): Guard {
  const guard = useContext(StepUpContext);
  if (!guard) throw new Error('useStepUp outside StepUpProvider');
  return guard;
}

interface Pending {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function StepUpProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const pendingRef = useRef<Pending | null>(null);

  const ask = useCallback(
    () =>
      new Promise<void>((resolve, reject) => {
        const next = { resolve, reject };
        pendingRef.current = next;
        setPending(next);
      }),
    [],
  );

  const guard = useCallback<Guard>(
    async (action) => {
      try {
        return await action();
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'STEP_UP_REQUIRED')) throw error;
        await ask();
        return action();
      }
    },
    [ask],
  );

  const settle = (outcome: 'confirmed' | 'cancelled') => {
    const current = pendingRef.current;
    pendingRef.current = null;
    setPending(null);
    if (!current) return;
    if (outcome === 'confirmed') current.resolve();
    else current.reject(new ApiError(STEP_UP_CANCELLED, 'The second factor was not confirmed.'));
  };

  return (
    <StepUpContext.Provider value={guard}>
      {children}
      {pending ? <StepUpDialog onConfirmed={() => settle('confirmed')} onCancel={() => settle('cancelled')} /> : null}
    </StepUpContext.Provider>
  );
}

function StepUpDialog({ onConfirmed, onCancel }: { onConfirmed: () => void; onCancel: () => void }) {
  const [factors, setFactors] = useState<ProofFactor[] | null>(null);
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    request(MyFactorsQuery)
      .then(({ me }) => setFactors((me?.factors ?? []).filter((factor) => factor.status === 'ACTIVE')))
      .catch(() => setLoadError('Your second factors could not be loaded. Close this and try again.'));
  }, []);

  return (
    <Dialog title="Confirm it is you" onClose={onCancel}>
      <p>This change needs a fresh second factor.</p>
      {loadError ? <p role="alert">{loadError}</p> : null}
      {factors ? (
        <SecondFactorProof
          factors={factors}
          submitLabel="Verify"
          begin={async (factorId) => (await request(BeginMfaMutation, { input: { factorId } })).beginMfa}
          onProof={async (proof) => {
            await request(StepUpMutation, { input: proof });
            onConfirmed();
          }}
        />
      ) : null}
    </Dialog>
  );
}
