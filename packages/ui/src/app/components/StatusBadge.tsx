import { executionTone, nodeLook } from '../model/status.js';

/** An execution or node status as a coloured word. */
export function StatusBadge({
  status,
  kind = 'execution',
}: {
  status: string;
  kind?: 'execution' | 'node';
}) {
  const tone = kind === 'node' ? nodeLook(status).tone : executionTone(status);
  const icon = kind === 'node' ? `${nodeLook(status).icon} ` : '';
  return (
    <span class={`badge tone-${tone}`} data-status={status}>
      {icon}
      {status}
    </span>
  );
}
