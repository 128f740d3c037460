import { useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import { parseJsonInput } from '../model/json-input.js';
import { navigate } from '../router.js';

/**
 * Starts an execution of the workflow's current version with the typed initial data
 * (`POST /api/workflows/:id/execute`) and opens it; for a key with the `execute` scope.
 */
export function StartExecutionForm({
  workflowId,
  olderShown = false,
}: {
  workflowId: string;
  /** The page shows an older version: the form says it starts the current one. */
  olderShown?: boolean;
}) {
  const { api, canExecute } = useSession();
  const [text, setText] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!canExecute) return null;
  const submit = async (event: Event) => {
    event.preventDefault();
    const input = parseJsonInput(text);
    if (!input.ok) {
      setError(input.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { executionId } = await api.post<{ executionId: string }>(
        `/api/workflows/${encodeURIComponent(workflowId)}/execute`,
        { initialData: input.value },
      );
      navigate({ page: 'execution', executionId });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="start card" onSubmit={submit} aria-labelledby="start-title">
      <h2 id="start-title">Start an execution</h2>
      {olderShown && (
        <p class="warn">This starts the current version, not the older one shown here.</p>
      )}
      <label for="initial-data">Initial data (JSON)</label>
      <textarea
        id="initial-data"
        rows={5}
        spellcheck={false}
        value={text}
        onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Start execution'}
        </button>
      </div>
    </form>
  );
}
