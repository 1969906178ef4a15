export function ResetPasswordPage() {
  return (
    <main className="card">
      <h1>Choose a new password</h1>
    </main>
  );
}
