import { useEffect, useRef, type ReactNode } from 'react';

/** A mailed link that no longer works (expired, used): said plainly, focused as errors are, with the way on. */
export function ExpiredLink({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} role="alert" tabIndex={-1} className="error">
      {children}
    </div>
  );
}
