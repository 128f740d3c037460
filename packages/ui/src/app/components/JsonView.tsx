/** Pretty JSON in a scrollable, keyboard-reachable block; `undefined` reads as a dash. */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  if (value === undefined) return <p class="muted">—</p>;
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return (
    <section class="json" aria-label={label}>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard */}
      <pre tabIndex={0}>{text}</pre>
    </section>
  );
}
