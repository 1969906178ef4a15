import { useState } from 'react';
import { ApiError } from '../graphql/client';

/**
 * One user action at a time, and what became of it: `run` marks the page busy, clears the last error and notice,
 * and keeps what the action threw. A failure that is not the API's (a browser ceremony the user cancelled, say)
 * shows as `fallback` (its code and message).
 */
export function useAction(fallback: { code: string; message: string }) {
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(fallback.code, fallback.message));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, notice, setNotice, run };
}
