/** Where the API key lives: this tab's sessionStorage (gone when the tab closes). */
export const SESSION_KEY = 'spane.apiKey';

/** The signed-in key, if any. */
export function loadKey(): string | null {
  try {
    return window.sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
}

/** Keeps the key for this tab. */
export function saveKey(key: string): void {
  window.sessionStorage.setItem(SESSION_KEY, key);
}

/** Forgets the key. */
export function clearKey(): void {
  window.sessionStorage.removeItem(SESSION_KEY);
}
