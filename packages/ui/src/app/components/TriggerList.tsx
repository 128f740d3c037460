import type { Trigger } from '../api/types.js';
import { triggerLine } from '../model/triggers.js';

/** A workflow's triggers, one line each; a webhook's secret shows only as "signed". */
export function TriggerList({
  triggers,
  tenantId,
}: {
  triggers: readonly Trigger[] | undefined;
  tenantId: string;
}) {
  if (!triggers || triggers.length === 0) {
    return <p class="muted">No triggers: executions start through the API only.</p>;
  }
  return (
    <ul class="triggers">
      {triggers.map((trigger, i) => {
        const line = triggerLine(trigger, tenantId);
        return (
          <li key={i} data-kind={line.kind}>
            <span class="badge tone-idle">{line.kind}</span> <code>{line.text}</code>
            {line.url && <span class="muted"> at {line.url}</span>}
            {line.signed && <span class="badge tone-ok">signed</span>}
          </li>
        );
      })}
    </ul>
  );
}
