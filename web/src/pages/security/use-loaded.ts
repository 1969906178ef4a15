import { useCallback, useEffect, useRef, useState } from 'react';
import { CREDENTIALS_CHANGED } from './account-events';

/**
 * What a section shows, loaded when it mounts, again on `reload()`, and again when the credentials change (see
 * account-events). A load that finishes after a newer one started is dropped, so the list never steps back.
 */
export function useLoaded<T>(load: () => Promise<T>): {
  data: T | undefined;
  loadError: unknown;
  reload: () => Promise<void>;
} {
  const [data, setData] = useState<T | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const latest = useRef(0);

  const reload = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const loaded = await loadRef.current();
      if (ticket !== latest.current) return;
      setData(loaded);
      setLoadError(null);
    } catch (error) {
      if (ticket === latest.current) setLoadError(error);
    }
  }, []);

  useEffect(() => {
    void reload();
    const again = () => void reload();
    window.addEventListener(CREDENTIALS_CHANGED, again);
    return () => window.removeEventListener(CREDENTIALS_CHANGED, again);
  }, [reload]);

  return { data, loadError, reload };
}
