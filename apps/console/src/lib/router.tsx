import { useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';

/** '/console/' in the build: the console's pages are paths under it (the API falls back to index.html). */
const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

export type Route =
  | { name: 'messages'; query: URLSearchParams }
  | { name: 'message'; id: string }
  | { name: 'endpoints' }
  | { name: 'event-types' }
  | { name: 'not-found' };

export function parseRoute(pathname: string, search: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'messages')) {
    return { name: 'messages', query: new URLSearchParams(search) };
  }
  if (parts.length === 2 && parts[0] === 'messages') {
    return { name: 'message', id: decodeURIComponent(parts[1]!) };
  }
  if (parts.length === 1 && parts[0] === 'endpoints') return { name: 'endpoints' };
  if (parts.length === 1 && parts[0] === 'event-types') return { name: 'event-types' };
  return { name: 'not-found' };
}

/** A console path ('/messages?status=failed') as a URL of this origin. */
export function href(to: string): string {
  return `${BASE}${to.startsWith('/') ? to : `/${to}`}`;
}

export function navigate(to: string, { replace = false } = {}): void {
  const url = href(to);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
  if (!replace) window.scrollTo(0, 0);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  return () => window.removeEventListener('popstate', onChange);
}

/** The current location (path + query), re-rendering on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const current = useSyncExternalStore(subscribe, () => location.pathname + location.search);
  const at = current.indexOf('?');
  return at < 0
    ? { pathname: current, search: '' }
    : { pathname: current.slice(0, at), search: current.slice(at) };
}

export function Link({
  to,
  className,
  children,
  title,
}: {
  to: string;
  className?: string;
  children: ReactNode;
  title?: string;
}) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={href(to)} className={className} onClick={onClick} title={title}>
      {children}
    </a>
  );
}
