import { useEffect } from 'react';

// Parts of the console that show the same account (the app's `me`, the security page's sections) hear of a change
// one of them made, and read it again, without a shared store.

const ACCOUNT_CHANGED = 'mfa-console:account-changed';

/** Says the signed-in account changed (a factor removed, new recovery codes, …): whoever shows it reloads. */
export function announceAccountChanged(): void {
  window.dispatchEvent(new Event(ACCOUNT_CHANGED));
}

/** Calls `reload` whenever announceAccountChanged is called; pass a stable function (useCallback). */
export function useAccountChanged(reload: () => void): void {
  useEffect(() => {
    window.addEventListener(ACCOUNT_CHANGED, reload);
    return () => window.removeEventListener(ACCOUNT_CHANGED, reload);
  }, [reload]);
}
