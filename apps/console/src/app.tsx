import { useCallback, useMemo, useState } from 'react';
import { ApiClient } from './api/client';
import { ApiContext } from './api/context';
import { ToastProvider } from './components/toasts';
import { EndpointsPage } from './pages/endpoints-page';
import { EventTypesPage } from './pages/event-types-page';
import { MessagePage } from './pages/message-page';
import { MessagesPage } from './pages/messages-page';
import { SignIn } from './pages/sign-in';
import { Link, parseRoute, useLocation, type Route } from './lib/router';
import { clearApiKey, loadApiKey, saveApiKey } from './lib/session';

export function App() {
  const [apiKey, setApiKey] = useState(loadApiKey);
  const [notice, setNotice] = useState<string>();

  const signOut = useCallback((why?: string) => {
    clearApiKey();
    setApiKey(null);
    setNotice(why);
  }, []);
  const api = useMemo(
    () =>
      apiKey === null
        ? null
        : new ApiClient(apiKey, () => signOut('The API refused the key: sign in again.')),
    [apiKey, signOut],
  );

  if (api === null || apiKey === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(key) => {
          saveApiKey(key);
          setNotice(undefined);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <ToastProvider>
        <Shell apiKey={apiKey} onSignOut={() => signOut()} />
      </ToastProvider>
    </ApiContext.Provider>
  );
}

function Shell({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const { pathname, search } = useLocation();
  const route = useMemo(() => parseRoute(pathname, search), [pathname, search]);
  const section = route.name === 'message' || route.name === 'not-found' ? 'messages' : route.name;
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/messages" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Notify
          </Link>
          <nav className="nav" aria-label="Sections">
            <Link to="/messages" className={section === 'messages' ? 'active' : undefined}>
              Messages
            </Link>
            <Link to="/endpoints" className={section === 'endpoints' ? 'active' : undefined}>
              Endpoints
            </Link>
            <Link to="/event-types" className={section === 'event-types' ? 'active' : undefined}>
              Event types
            </Link>
          </nav>
          <span className="spacer" />
          <span className="key" title="Signed in with this app key">
            {apiKey.slice(0, 3)}…{apiKey.slice(-4)}
          </span>
          <button type="button" className="btn btn-ghost btn-small" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'messages':
      return <MessagesPage query={route.query} />;
    case 'message':
      return <MessagePage key={route.id} id={route.id} />;
    case 'endpoints':
      return <EndpointsPage />;
    case 'event-types':
      return <EventTypesPage />;
    case 'not-found':
      return (
        <div className="card">
          <h1>Nothing here</h1>
          <p className="muted">
            This page does not exist. Go to <Link to="/messages">messages</Link>,{' '}
            <Link to="/endpoints">endpoints</Link> or <Link to="/event-types">event types</Link>.
          </p>
        </div>
      );
  }
}
