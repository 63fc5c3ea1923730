import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '../api/client';
import { describeError } from '../components/feedback';

/** Asks for an app key and checks it against the API before keeping it. */
export function SignIn({
  notice,
  onSignedIn,
}: {
  notice?: string;
  onSignedIn: (apiKey: string) => void;
}) {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const key = apiKey.trim();
    if (key === '') return;
    setBusy(true);
    setError(undefined);
    try {
      await new ApiClient(key).listEndpoints(undefined, 1);
      onSignedIn(key);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? 'The API does not know this key. Use the apiKey returned when the app was created.'
          : caught instanceof ApiError && caught.status === 403
            ? 'This key cannot read an app: sign in with an app key, not the admin key or a recipient token.'
            : describeError(caught),
      );
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={(e) => void submit(e)}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Notify console
        </div>
        <p className="muted">
          Sign in with an app key to see its endpoints, messages and every delivery attempt. The key
          stays in this browser tab only.
        </p>
        {notice ? <div className="alert alert-warn">{notice}</div> : null}
        <label className="field">
          <span>App key</span>
          <input
            type="password"
            name="apiKey"
            autoComplete="off"
            spellCheck={false}
            autoFocus
            placeholder="ak_…"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
          />
        </label>
        {error ? (
          <div className="alert alert-bad" role="alert">
            {error}
          </div>
        ) : null}
        <button
          type="submit"
          className="btn btn-primary btn-block"
          disabled={busy || apiKey.trim() === ''}
        >
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
