/** Placeholder, replaced by the real page. */
export function WorkflowPage({ workflowId }: { workflowId: string; version?: string | undefined }) {
  return (
    <section>
      <h1>{workflowId}</h1>
    </section>
  );
}
