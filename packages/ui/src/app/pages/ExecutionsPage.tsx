/** Placeholder, replaced by the real page. */
export function ExecutionsPage({ query }: { query: URLSearchParams }) {
  return (
    <section>
      <h1>Executions {query.toString()}</h1>
    </section>
  );
}
