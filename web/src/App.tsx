import { useCallback, useEffect, useState } from 'react';
import { navigate, useRoute } from './components/router';
import { UserMenu, type MenuAction } from './components/UserMenu';
import { request, SESSION_ENDED } from './graphql/client';
import { LogoutMutation, MeQuery } from './graphql/operations';
import { EnrollPage } from './pages/EnrollPage';
import { HomePage } from './pages/HomePage';
import { NotYetPage } from './pages/NotYetPage';
import { SignInPage } from './pages/SignInPage';
import type { SignedInUser } from './session';

interface Me extends SignedInUser {
  mfaEnabled: boolean;
}

export function App() {
  const path = useRoute();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [sessionEnded, setSessionEnded] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const data = await request(MeQuery);
      setMe(data.me ?? null);
    } catch {
      setMe(null);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    const ended = () => {
      setSessionEnded(true);
      setMe(null);
    };
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);

  useEffect(() => {
    const titles: Record<string, string> = {
      '/enroll': 'Enroll in multifactor authentication',
      '/security': 'Security',
      '/admin': 'Admin',
    };
    document.title = `${me ? (titles[path] ?? 'Home') : 'Sign in'} · MFA console`;
  }, [me, path]);

  if (me === undefined) return <p className="loading">Loading…</p>;

  if (me === null) {
    return (
      <SignInPage
        notice={sessionEnded ? 'Your session ended. Sign in again.' : undefined}
        onSignedIn={(_user, enroll) => {
          setSessionEnded(false);
          if (enroll) navigate('/enroll');
          void refresh();
        }}
      />
    );
  }

  const actions: MenuAction[] = [
    { label: 'Enroll in multifactor authentication', onSelect: () => navigate('/enroll') },
    { label: 'Security', onSelect: () => navigate('/security') },
    ...(me.role === 'ADMIN' ? [{ label: 'Admin', onSelect: () => navigate('/admin') }] : []),
    {
      label: 'Sign out',
      onSelect: () =>
        void request(LogoutMutation)
          .catch(() => undefined)
          .then(() => {
            navigate('/');
            setMe(null);
          }),
    },
  ];

  let page;
  if (path === '/enroll') {
    page = (
      <EnrollPage
        onDone={() => {
          navigate('/');
          void refresh();
        }}
      />
    );
  } else if (path === '/security') page = <NotYetPage title="Security" />;
  else if (path === '/admin' && me.role === 'ADMIN') page = <NotYetPage title="Admin" />;
  else page = <HomePage user={me} mfaEnabled={me.mfaEnabled} />;

  return (
    <>
      <header className="top">
        <a
          href="/"
          className="brand"
          onClick={(event) => {
            event.preventDefault();
            navigate('/');
          }}
        >
          MFA console
        </a>
        <UserMenu username={me.username} actions={actions} />
      </header>
      {page}
    </>
  );
}
