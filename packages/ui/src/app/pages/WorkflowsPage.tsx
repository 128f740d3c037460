/** Placeholder, replaced by the real page. */
export function WorkflowsPage() {
  return (
    <section>
      <h1>WorkflowsPage</h1>
    </section>
  );
}
