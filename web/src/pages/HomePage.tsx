import type { SignedInUser } from '../session';

export function HomePage({ user, mfaEnabled }: { user: SignedInUser; mfaEnabled: boolean }) {
  return (
    <main className="card">
      <h1>Welcome, {user.username}</h1>
      <p>
        {mfaEnabled
          ? 'Your account uses multifactor authentication.'
          : 'Your account does not use multifactor authentication yet. Open the menu with your name to enroll.'}
      </p>
    </main>
  );
}
