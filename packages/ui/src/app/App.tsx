import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient } from './api/client.js';
import { type Session, SessionContext } from './api/context.js';
import { ExecutionPage } from './pages/ExecutionPage.js';
import { ExecutionsPage } from './pages/ExecutionsPage.js';
import { QueuesPage } from './pages/QueuesPage.js';
import { SignIn, type WhoAmI } from './pages/SignIn.js';
import { WorkflowPage } from './pages/WorkflowPage.js';
import { WorkflowsPage } from './pages/WorkflowsPage.js';
import { type Route, useRoute } from './router.js';
import { clearKey, loadKey, saveKey } from './session.js';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'workflows':
      return <WorkflowsPage />;
    case 'workflow':
      return <WorkflowPage workflowId={route.workflowId} version={route.version} />;
    case 'executions':
      return <ExecutionsPage query={route.query} />;
    case 'execution':
      return <ExecutionPage executionId={route.executionId} nodeId={route.nodeId} />;
    case 'queues':
      return <QueuesPage />;
  }
}

const NAV: { page: Route['page']; href: string; label: string; also?: Route['page'] }[] = [
  { page: 'workflows', also: 'workflow', href: '#/workflows', label: 'Workflows' },
  { page: 'executions', also: 'execution', href: '#/executions', label: 'Executions' },
  { page: 'queues', href: '#/queues', label: 'Queues & DLQ' },
];

/** The inspector: the sign-in form, or the signed-in shell with its pages. */
export function App() {
  const route = useRoute();
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [who, setWho] = useState<WhoAmI | null>(null);
  const signOut = useCallback(() => {
    clearKey();
    setKey(null);
    setWho(null);
  }, []);
  const api = useMemo(
    () => (key ? new ApiClient(key, { onUnauthorized: signOut }) : null),
    [key, signOut],
  );
  useEffect(() => {
    if (!api || who) return;
    api
      .get<WhoAmI>('/api/session')
      .then(setWho)
      .catch(() => signOut());
  }, [api, who, signOut]);

  if (!api || !who) {
    return (
      <SignIn
        onSignedIn={(k, w) => {
          saveKey(k);
          setKey(k);
          setWho(w);
        }}
      />
    );
  }
  const session: Session = { api, canExecute: who.scopes.includes('execute'), signOut };
  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <a class="brand" href="#/workflows">
          SPANE <span>inspector</span>
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a
              key={item.page}
              href={item.href}
              aria-current={
                route.page === item.page || route.page === item.also ? 'page' : undefined
              }
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div class="who">
          <span title="Tenant of this key">{who.tenantId}</span>
          <span class="scopes">{who.scopes.join(' · ')}</span>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}
