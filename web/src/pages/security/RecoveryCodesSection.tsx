import { useCallback, useEffect, useRef, useState } from 'react';
import { announceAccountChanged, useAccountChanged } from '../../components/account-changed';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { RecoveryCodesList } from '../../components/RecoveryCodesList';
import { SecondFactorProof, type Proof } from '../../components/SecondFactorProof';
import { Section } from '../../components/Section';
import type { ConsoleRecoveryCodesLeftQuery } from '../../gql/graphql';
import { request } from '../../graphql/client';
import { BeginMfaMutation } from '../../graphql/operations';
import { RecoveryCodesLeftQuery, RegenerateRecoveryCodesMutation } from '../../graphql/security-factors';
import './security.css';

type Me = NonNullable<ConsoleRecoveryCodesLeftQuery['me']>;

/** At or below this many codes left, the section says to regenerate them before they run out. */
const FEW_CODES_LEFT = 3;

/**
 * How many recovery codes are left, and "Regenerate": a code from a factor, then the new codes shown once with the
 * same Copy / Download / Finish as at enrollment (every old code stops working).
 */
export function RecoveryCodesSection() {
  const [me, setMe] = useState<Me | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [asking, setAsking] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState('');
  const codesHeadingRef = useRef<HTMLHeadingElement>(null);
  const regenerateRef = useRef<HTMLButtonElement>(null);

  const load = useCallback(() => {
    request(RecoveryCodesLeftQuery)
      .then((data) => {
        setMe(data.me ?? null);
        setLoadError(null);
      })
      .catch((error: unknown) => setLoadError(error));
  }, []);
  useEffect(load, [load]);
  useAccountChanged(load);

  useEffect(() => {
    if (codes) codesHeadingRef.current?.focus();
  }, [codes]);

  const regenerate = async (proof: Proof) => {
    const { regenerateRecoveryCodes } = await request(RegenerateRecoveryCodesMutation, {
      input: { factorId: proof.factorId, code: proof.code, response: proof.response },
    });
    setAsking(false);
    setCodes(regenerateRecoveryCodes);
    announceAccountChanged();
  };

  const activeFactors = (me?.factors ?? []).filter((factor) => factor.status === 'ACTIVE');
  const left = me?.recoveryCodesRemaining ?? 0;

  return (
    <Section title="Recovery codes">
      <ErrorAlert error={loadError} />
      {me === null ? (
        loadError ? null : (
          <p className="hint">Loading…</p>
        )
      ) : !me.mfaEnabled ? (
        <p>Recovery codes come with a second factor: enroll one to get them.</p>
      ) : codes ? (
        <div className="new-codes">
          <h3 ref={codesHeadingRef} tabIndex={-1}>
            Your new recovery codes
          </h3>
          <p>Every earlier code stopped working. These are shown only now: copy or download them.</p>
          <RecoveryCodesList
            codes={codes}
            onFinish={() => {
              setCodes(null);
              setNotice('The new recovery codes are saved.');
              window.requestAnimationFrame(() => regenerateRef.current?.focus());
            }}
          />
        </div>
      ) : (
        <>
          <p>
            {left === 1 ? '1 recovery code is left.' : `${left} recovery codes are left.`} Each one signs you in once
            when you cannot use your second factor.
          </p>
          {left <= FEW_CODES_LEFT ? (
            <p className="warning">
              {left === 0 ? 'You have no recovery codes left.' : 'You are running out of recovery codes.'} Regenerate
              them, and keep the new ones somewhere safe.
            </p>
          ) : null}
          <div className="actions">
            <button
              ref={regenerateRef}
              type="button"
              className="secondary"
              onClick={() => {
                setNotice('');
                setAsking(true);
              }}
            >
              Regenerate
            </button>
          </div>
        </>
      )}
      <p role="status" className={notice ? 'notice' : 'visually-hidden'}>
        {notice}
      </p>
      {asking ? (
        <Dialog title="Regenerate recovery codes" onClose={() => setAsking(false)}>
          <p>New codes replace every code you have now. Confirm with a second factor.</p>
          <SecondFactorProof
            factors={activeFactors}
            submitLabel="Regenerate"
            allowRecoveryCode={false}
            begin={async (factorId) => (await request(BeginMfaMutation, { input: { factorId } })).beginMfa}
            onProof={regenerate}
          />
        </Dialog>
      ) : null}
    </Section>
  );
}
