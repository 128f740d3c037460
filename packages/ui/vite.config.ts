import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The inspector is plain static files: relative asset paths (`base: './'`) so that it works
// under any mount point (`/ui/` by default), everything bundled (no CDN, no web fonts).
export default defineConfig({
  root: fileURLToPath(new URL('./src/app', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('./dist/app', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
  // `npm run dev` here: the API calls (not the app's own `src/app/api/*.ts` modules) go to a
  // server on port 3000.
  server: { host: '127.0.0.1', proxy: { '^/api/(?!.*\\.tsx?$)': 'http://127.0.0.1:3000' } },
});
