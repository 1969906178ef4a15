import { useCallback, useEffect, useState } from 'react';
import { navigate, useRoute } from './components/router';
import { UserMenu, type MenuAction } from './components/UserMenu';
import { useAccountChanged } from './components/account-changed';
import { request, SESSION_ENDED } from './graphql/client';
import { LogoutMutation, MeQuery } from './graphql/operations';
import { EnrollPage } from './pages/EnrollPage';
import { HomePage } from './pages/HomePage';
import { ForgotPasswordPage } from './pages/account/ForgotPasswordPage';
import { ResetPasswordPage } from './pages/account/ResetPasswordPage';
import { SignUpPage } from './pages/account/SignUpPage';
import { VerifyEmailPage } from './pages/account/VerifyEmailPage';
import { AdminAuditPage } from './pages/admin/AdminAuditPage';
import { AdminMailPage } from './pages/admin/AdminMailPage';
import { AdminPolicyPage } from './pages/admin/AdminPolicyPage';
import { AdminUserPage } from './pages/admin/AdminUserPage';
import { AdminUsersPage } from './pages/admin/AdminUsersPage';
import { SecurityPage } from './pages/security/SecurityPage';
import { SignInPage } from './pages/SignInPage';
import { StepUpProvider } from './components/step-up';
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
  // A change on the security page (the last factor removed, say) shows on the home page and in the menu too.
  const reloadMe = useCallback(() => void refresh(), [refresh]);
  useAccountChanged(reloadMe);

  useEffect(() => {
    const ended = () => {
      setSessionEnded(true);
      setMe(null);
    };
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);

  useEffect(() => {
    document.title = `${pageTitle(path, Boolean(me))} · MFA console`;
  }, [me, path]);

  // The pages the mails link to work whether or not someone is signed in in this browser.
  if (path === '/reset-password') return <ResetPasswordPage />;
  if (path === '/verify-email') return <VerifyEmailPage onVerified={() => void refresh()} />;

  if (me === undefined) return <p className="loading">Loading…</p>;

  const signedIn = (_user: SignedInUser, enroll: boolean) => {
    setSessionEnded(false);
    if (enroll) navigate('/enroll');
    else if (path === '/sign-up') navigate('/');
    void refresh();
  };

  if (me === null) {
    if (path === '/forgot-password') return <ForgotPasswordPage />;
    if (path === '/sign-up') return <SignUpPage onSignedIn={signedIn} />;
    return (
      <SignInPage notice={sessionEnded ? 'Your session ended. Sign in again.' : undefined} onSignedIn={signedIn} />
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
  } else if (path === '/security') page = <SecurityPage />;
  else if (me.role === 'ADMIN' && path.startsWith('/admin')) page = adminPage(path);
  else page = <HomePage user={me} mfaEnabled={me.mfaEnabled} />;

  return (
    <StepUpProvider>
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
    </StepUpProvider>
  );
}

function adminPage(path: string) {
  const user = /^\/admin\/users\/([^/]+)$/.exec(path);
  if (user) return <AdminUserPage username={decodeURIComponent(user[1] ?? '')} />;
  if (path === '/admin/policy') return <AdminPolicyPage />;
  if (path === '/admin/audit') return <AdminAuditPage />;
  if (path === '/admin/mail') return <AdminMailPage />;
  return <AdminUsersPage />;
}

/** The document title for a path: what a tab, the history and a screen reader's page list show. */
function pageTitle(path: string, signedIn: boolean): string {
  if (path === '/reset-password') return 'Choose a new password';
  if (path === '/verify-email') return 'Verify your e-mail address';
  if (!signedIn) {
    if (path === '/forgot-password') return 'Forgot your password';
    if (path === '/sign-up') return 'Create an account';
    return 'Sign in';
  }
  if (path === '/enroll') return 'Enroll in multifactor authentication';
  if (path === '/security') return 'Security';
  if (path.startsWith('/admin')) return 'Admin';
  return 'Home';
}
