/** A page of the console that this version does not have yet (the security page, the admin console). */
export function NotYetPage({ title }: { title: string }) {
  return (
    <main className="card">
      <h1>{title}</h1>
      <p>This page is not part of this version of the console yet; the GraphQL API offers everything it will show.</p>
    </main>
  );
}
