import { useEffect, useState } from 'react';

// A few pages need no routing library: paths in the History API, which the service answers with index.html.

let leaveWarning: string | null = null;

/** While set, leaving the page (in the console or the browser) asks first; e.g. recovery codes not yet saved. */
export function setLeaveWarning(message: string | null): void {
  leaveWarning = message;
}

export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  if (leaveWarning && !window.confirm(leaveWarning)) return;
  leaveWarning = null;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return path;
}
