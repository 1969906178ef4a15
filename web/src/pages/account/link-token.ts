import { useEffect, useState } from 'react';

function tokenInFragment(): string {
  return (new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '').trim();
}

function clearFragment(): void {
  if (window.location.hash) window.history.replaceState(window.history.state, '', window.location.pathname);
}

/**
 * The token a mail's link carries in its fragment (`#token=…`: a fragment never reaches a server's logs), read when
 * the page opens, then taken off the address bar so it stays out of the history, bookmarks and screenshots. A link
 * opened again in the same tab changes only the fragment (no page load): its token replaces the one read, and
 * `opening` counts such openings, so a page can start afresh even for the same link.
 */
export function useLinkToken(): { token: string; opening: number } {
  const [link, setLink] = useState(() => ({ token: tokenInFragment(), opening: 0 }));
  useEffect(() => {
    clearFragment();
    const opened = () => {
      const next = tokenInFragment();
      clearFragment();
      if (next) setLink((last) => ({ token: next, opening: last.opening + 1 }));
    };
    window.addEventListener('hashchange', opened);
    return () => window.removeEventListener('hashchange', opened);
  }, []);
  return link;
}
