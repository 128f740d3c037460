/** Placeholder, replaced by the real page. */
export function QueuesPage() {
  return (
    <section>
      <h1>QueuesPage</h1>
    </section>
  );
}
