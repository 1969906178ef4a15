import { useEffect, useState } from 'react';

/**
 * The token a mail's link carries in its fragment (`#token=…`: a fragment never reaches a server's logs), read when
 * the page opens, then taken off the address bar so it stays out of the history, bookmarks and screenshots.
 */
export function useLinkToken(): string {
  const [token] = useState(() => (new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '').trim());
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(window.history.state, '', window.location.pathname);
  }, []);
  return token;
}
