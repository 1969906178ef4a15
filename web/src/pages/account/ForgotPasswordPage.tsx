export function ForgotPasswordPage() {
  return (
    <main className="card">
      <h1>Forgot your password?</h1>
    </main>
  );
}
