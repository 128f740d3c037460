import { useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import type { ExecutionState } from '../api/types.js';
import { isFinished } from '../model/status.js';
import { navigate } from '../router.js';

/**
 * Pause, resume, cancel (asks once more) and replay of an execution, for a key with the
 * `execute` scope; the API's answer (or its error) is shown.
 */
export function ExecutionActions({ state, onDone }: { state: ExecutionState; onDone: () => void }) {
  const { api, canExecute } = useSession();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; bad: boolean } | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  if (!canExecute) return null;
  const id = encodeURIComponent(state.executionId);
  const run = async (label: string, action: () => Promise<void>) => {
    setBusy(true);
    setMessage(null);
    try {
      await action();
      setMessage({ text: `${label}: done`, bad: false });
      onDone();
    } catch (e) {
      setMessage({ text: `${label}: ${describeError(e)}`, bad: true });
    } finally {
      setBusy(false);
      setConfirmCancel(false);
    }
  };
  const finished = isFinished(state.status);
  return (
    <div class="actions" role="toolbar" aria-label="Execution actions">
      {state.status === 'running' && (
        <button
          type="button"
          disabled={busy}
          onClick={() => run('Pause', () => api.post(`/api/executions/${id}/pause`))}
        >
          Pause
        </button>
      )}
      {state.status === 'paused' && (
        <button
          type="button"
          disabled={busy}
          onClick={() => run('Resume', () => api.post(`/api/executions/${id}/resume`))}
        >
          Resume
        </button>
      )}
      {!finished &&
        (confirmCancel ? (
          <>
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => run('Cancel', () => api.post(`/api/executions/${id}/cancel`))}
            >
              Confirm cancel
            </button>
            <button type="button" class="link" onClick={() => setConfirmCancel(false)}>
              Keep running
            </button>
          </>
        ) : (
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() => setConfirmCancel(true)}
          >
            Cancel execution
          </button>
        ))}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          run('Replay', async () => {
            const { executionId } = await api.post<{ executionId: string }>(
              `/api/executions/${id}/replay`,
              {},
            );
            navigate({ page: 'execution', executionId });
          })
        }
      >
        Replay
      </button>
      {message && (
        <span class={message.bad ? 'error' : 'ok'} role="status">
          {message.text}
        </span>
      )}
    </div>
  );
}
