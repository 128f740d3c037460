import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the inspector's built static files (`index.html` and its assets), to
 * serve at `/ui` — `@spane/http` does when given `ui: { assetsDir: uiAssetsDir }`. The files
 * call only the public HTTP API of the same origin, with the API key the user signs in with.
 */
export const uiAssetsDir: string = fileURLToPath(new URL('../dist/app/', import.meta.url));
