import { defineConfig } from 'vite';

/**
 * The operator console. `npm run build:console` runs `vite build apps/console`, so paths here are
 * relative to this folder. The API serves the output at /console (apps/api/src/console).
 */
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite apps/console` for UI work against an API running on :3000.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
