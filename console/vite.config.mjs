// The console's bundle: served by the server at /console (src/rest/console-routes.ts) from
// dist/console, so asset URLs are relative to that base. Everything is bundled (no CDN, no web
// fonts), so the console works on a machine without network.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  // Relative asset URLs: the page is always /console/ (the server redirects), under any proxy prefix.
  base: './',
  logLevel: 'warn',
  resolve: { alias: { 'isomorphic-webcrypto': fileURLToPath(new URL('./src/webcrypto.ts', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // The bundle is served by the FHIR server itself; no source maps to keep it small.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
});
