import { useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import type { NodeDefinition } from '../api/types.js';
import { parseJsonInput } from '../model/json-input.js';

/** Sends the signal a `wait-for-signal` node waits for, with a JSON payload. */
export function SignalForm({
  executionId,
  node,
  onSent,
}: {
  executionId: string;
  node: NodeDefinition;
  onSent: () => void;
}) {
  const { api } = useSession();
  const name = String((node.config as { name?: unknown } | undefined)?.name ?? '');
  const [text, setText] = useState('{}');
  const [message, setMessage] = useState<{ text: string; bad: boolean } | null>(null);
  const send = async (event: Event) => {
    event.preventDefault();
    const parsed = parseJsonInput(text);
    if (!parsed.ok) {
      setMessage({ text: parsed.error, bad: true });
      return;
    }
    try {
      await api.post(
        `/api/executions/${encodeURIComponent(executionId)}/signals/${encodeURIComponent(name)}`,
        parsed.value,
      );
      setMessage({ text: `Signal '${name}' sent`, bad: false });
      onSent();
    } catch (e) {
      setMessage({ text: describeError(e), bad: true });
    }
  };
  return (
    <form class="signal" onSubmit={send} aria-labelledby="signal-title">
      <h3 id="signal-title">Send signal '{name}'</h3>
      <label for="signal-payload">Payload (JSON)</label>
      <textarea
        id="signal-payload"
        rows={4}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <button type="submit">Send signal</button>
      {message && (
        <p class={message.bad ? 'error' : 'ok'} role="status">
          {message.text}
        </p>
      )}
    </form>
  );
}
