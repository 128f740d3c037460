import { useState } from 'preact/hooks';
import { ApiClient, ApiError, describeError } from '../api/client.js';

/** What `GET /api/session` says of a key. */
export interface WhoAmI {
  tenantId: string;
  scopes: string[];
  authDisabled?: boolean;
}

/** The sign-in form: an API key, checked against the API before it is kept. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string, who: WhoAmI) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = key.trim();
    if (!value) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const who = await new ApiClient(value).get<WhoAmI>('/api/session');
      onSignedIn(value, who);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? 'That key was not accepted (401). Check it and try again.'
          : describeError(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">SPANE inspector</h1>
        <p>
          Sign in with an API key. It is kept in this tab only (sessionStorage) and sent with every
          call to this server's API, so the key's tenant and scopes apply.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
