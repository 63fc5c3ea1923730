/** The app key lives in sessionStorage: gone when the tab closes, never sent anywhere but /v1. */
const KEY = 'notify.console.apiKey';

export function loadApiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveApiKey(apiKey: string): void {
  sessionStorage.setItem(KEY, apiKey);
}

export function clearApiKey(): void {
  sessionStorage.removeItem(KEY);
}
