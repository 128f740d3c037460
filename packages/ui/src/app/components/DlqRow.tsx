import type { DLQItem } from '../api/types.js';
import { firstLine } from '../model/dlq.js';
import { formatWhen } from '../model/workflow-view.js';
import { routeHash } from '../router.js';
import { JsonView } from './JsonView.js';

/** Props of {@link DlqRow}. */
export interface DlqRowProps {
  item: DLQItem;
  expanded: boolean;
  onToggle: () => void;
  /** Set for a key that may retry; absent hides the button. */
  onRetry: (() => void) | undefined;
  busy: boolean;
}

/** The number of columns of a DLQ row (the details row spans them). */
export const DLQ_COLUMNS = 7;

/** One dead-lettered node: a row, and its details (full error, stack, input) when expanded. */
export function DlqRow({ item, expanded, onToggle, onRetry, busy }: DlqRowProps) {
  const detailsId = `dlq-details-${item.id}`;
  const what = `${item.nodeId} of ${item.executionId}`;
  return (
    <>
      <tr data-dlq-id={item.id}>
        <td>
          <button
            type="button"
            class="link"
            aria-expanded={expanded}
            aria-controls={detailsId}
            aria-label={`${expanded ? 'Hide' : 'Show'} details of ${what}`}
            onClick={onToggle}
          >
            {expanded ? '▾' : '▸'}
          </button>{' '}
          <code>{item.nodeId}</code>
        </td>
        <td>
          <a href={routeHash({ page: 'workflow', workflowId: item.workflowId })}>
            {item.workflowId}
          </a>
        </td>
        <td>
          <a
            href={routeHash({
              page: 'execution',
              executionId: item.executionId,
              nodeId: item.nodeId,
            })}
          >
            <code>{item.executionId}</code>
          </a>
        </td>
        <td class="error">{firstLine(item.error)}</td>
        <td>{item.attempts}</td>
        <td>{formatWhen(item.failedAt)}</td>
        <td>
          {onRetry && (
            <button type="button" disabled={busy} aria-label={`Retry ${what}`} onClick={onRetry}>
              Retry
            </button>
          )}
        </td>
      </tr>
      {expanded && (
        <tr id={detailsId} class="dlq-details">
          <td colSpan={DLQ_COLUMNS}>
            <h3>Error</h3>
            <pre class="error-text">{item.error}</pre>
            {item.stack && (
              <>
                <h3>Stack</h3>
                <pre class="json">{item.stack}</pre>
              </>
            )}
            <h3>Input data</h3>
            <JsonView value={item.inputData} label={`Input data of ${what}`} />
          </td>
        </tr>
      )}
    </>
  );
}
