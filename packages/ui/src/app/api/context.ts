import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './client.js';

/** The signed-in client and what the key may do. */
export interface Session {
  api: ApiClient;
  /** The key may act (start, pause, resume, cancel, replay, retry, signal); false for a read key. */
  canExecute: boolean;
  signOut: () => void;
}

/** Set by the shell once signed in. */
export const SessionContext = createContext<Session | null>(null);

/** The session; only used below the signed-in shell. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the signed-in shell');
  return session;
}
