export function VerifyEmailPage(_props: { onVerified: () => void }) {
  return (
    <main className="card">
      <h1>Verify your e-mail address</h1>
    </main>
  );
}
