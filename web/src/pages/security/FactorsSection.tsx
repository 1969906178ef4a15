import { useCallback, useEffect, useRef, useState } from 'react';
import { announceAccountChanged, useAccountChanged } from '../../components/account-changed';
import { ErrorAlert } from '../../components/ErrorAlert';
import { factorTypeName } from '../../components/factor-names';
import { Link } from '../../components/Link';
import { Section } from '../../components/Section';
import type { ConsoleSecurityFactorsQuery } from '../../gql/graphql';
import { request } from '../../graphql/client';
import { SecurityFactorsQuery } from '../../graphql/security-factors';
import { FactorsTable, factorRowHeaderId } from '../../components/tables/FactorsTable';
import { DisableFactorsDialog } from './DisableFactorsDialog';
import { RenameFactorForm } from './RenameFactorForm';
import './security.css';

type Factor = NonNullable<ConsoleSecurityFactorsQuery['me']>['factors'][number];

/** What is being removed: one factor, or all of them ("Disable multifactor authentication"). */
type Removal = { kind: 'one'; factor: Factor } | { kind: 'all' };

/** The second factors: each with its name, status and dates; rename, remove one, or turn them all off. */
export function FactorsSection() {
  const [factors, setFactors] = useState<Factor[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [removal, setRemoval] = useState<Removal | null>(null);
  const [notice, setNotice] = useState('');
  const noticeRef = useRef<HTMLParagraphElement>(null);
  // After a removal its row (and the button that had the focus) is gone: the focus goes to what happened instead.
  const focusNoticeOnLoad = useRef(false);
  const renameButtons = useRef(new Map<string, HTMLButtonElement>());

  const load = useCallback(() => {
    request(SecurityFactorsQuery)
      .then(({ me }) => {
        setFactors(me?.factors ?? []);
        setLoadError(null);
        if (focusNoticeOnLoad.current) {
          focusNoticeOnLoad.current = false;
          window.requestAnimationFrame(() => noticeRef.current?.focus());
        }
      })
      .catch((error: unknown) => setLoadError(error));
  }, []);
  useEffect(load, [load]);
  useAccountChanged(load);

  const active = (factors ?? []).filter((factor) => factor.status === 'ACTIVE');

  return (
    <Section
      title="Second factors"
      actions={
        <Link href="/enroll" className="button-link">
          Enroll another factor
        </Link>
      }
    >
      <ErrorAlert error={loadError} />
      <p ref={noticeRef} role="status" tabIndex={-1} className={notice ? 'notice' : 'visually-hidden'}>
        {notice}
      </p>
      {factors === null ? (
        loadError ? null : (
          <p className="hint">Loading…</p>
        )
      ) : factors.length === 0 ? (
        <p>You have no second factor: signing in needs only your password.</p>
      ) : (
        <>
          <FactorsTable
            factors={factors}
            caption="Your second factors"
            name={(factor) =>
              renaming === factor.id ? (
                <RenameFactorForm
                  factor={factor}
                  onDone={(renamed) => {
                    setRenaming(null);
                    // Back to the row's "Rename", which comes back once the form is gone.
                    window.requestAnimationFrame(() => renameButtons.current.get(factor.id)?.focus());
                    if (renamed) {
                      setNotice(`Renamed to “${renamed}”.`);
                      announceAccountChanged();
                    }
                  }}
                />
              ) : (
                (factor.description ?? <span className="hint">No name</span>)
              )
            }
            actions={(factor) => (
              <div className="row-actions">
                {renaming === factor.id ? null : (
                  <button
                    ref={(button) => {
                      if (button) renameButtons.current.set(factor.id, button);
                      else renameButtons.current.delete(factor.id);
                    }}
                    type="button"
                    className="secondary"
                    aria-describedby={factorRowHeaderId(factor)}
                    onClick={() => {
                      setNotice('');
                      setRenaming(factor.id);
                    }}
                  >
                    Rename
                  </button>
                )}
                <button
                  type="button"
                  className="secondary"
                  aria-describedby={factorRowHeaderId(factor)}
                  onClick={() => {
                    setNotice('');
                    setRemoval({ kind: 'one', factor });
                  }}
                >
                  Remove
                </button>
              </div>
            )}
          />
          <div className="actions">
            <button
              type="button"
              className="danger"
              onClick={() => {
                setNotice('');
                setRemoval({ kind: 'all' });
              }}
            >
              Disable multifactor authentication
            </button>
          </div>
        </>
      )}
      {removal ? (
        <DisableFactorsDialog
          factor={removal.kind === 'one' ? removal.factor : undefined}
          activeFactors={active}
          onClose={() => setRemoval(null)}
          onDisabled={() => {
            setNotice(
              removal.kind === 'one'
                ? `${factorTypeName(removal.factor.type)} was removed.`
                : 'Multifactor authentication is off: every second factor was removed.',
            );
            setRemoval(null);
            focusNoticeOnLoad.current = true;
            announceAccountChanged();
          }}
        />
      ) : null}
    </Section>
  );
}
