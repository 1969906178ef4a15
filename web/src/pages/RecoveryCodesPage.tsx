import { useEffect, useRef } from 'react';
import { RecoveryCodesList } from '../components/RecoveryCodesList';

/** The recovery codes a first enrollment issues, shown once, with the list's Copy, Download and Finish. */
export function RecoveryCodesPage({ codes, onFinish }: { codes: string[]; onFinish: () => void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  return (
    <main className="card">
      <h1 ref={headingRef} tabIndex={-1}>
        Save your recovery codes
      </h1>
      <p>
        Each code signs you in once when you cannot use your second factor. They are shown only now: copy or download
        them and keep them somewhere safe.
      </p>
      <RecoveryCodesList codes={codes} onFinish={onFinish} />
    </main>
  );
}
