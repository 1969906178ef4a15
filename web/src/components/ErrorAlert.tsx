import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../graphql/client';
import { describeError } from './errors';

/**
 * An error, announced and focused when it appears, so keyboard and screen-reader users land on it. A
 * retryAfterSeconds counts down in place (its own live region is off, so the ticking is not read out each second).
 */
export function ErrorAlert({ error, id }: { error: unknown; id?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const retryAfter = error instanceof ApiError ? error.retryAfterSeconds : undefined;
  const [left, setLeft] = useState(retryAfter ?? 0);

  useEffect(() => {
    if (error) ref.current?.focus();
  }, [error]);

  useEffect(() => {
    setLeft(retryAfter ?? 0);
    if (!retryAfter) return;
    const started = Date.now();
    const timer = window.setInterval(() => {
      const remaining = Math.max(0, retryAfter - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) window.clearInterval(timer);
    }, 1000);
    return () => window.clearInterval(timer);
  }, [error, retryAfter]);

  if (!error) return null;
  return (
    <div ref={ref} id={id} role="alert" tabIndex={-1} className="error">
      {describeError(error)}
      {retryAfter ? (
        <>
          {' '}
          <span aria-live="off">{left > 0 ? `Try again in ${formatSeconds(left)}.` : 'You can try again now.'}</span>
        </>
      ) : null}
    </div>
  );
}

function formatSeconds(total: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (total < 60) return plural(total, 'second');
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return seconds ? `${plural(minutes, 'minute')} ${plural(seconds, 'second')}` : plural(minutes, 'minute');
}
