import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The window is a static bundle: Electron loads it from disk (file://) and the browser host
// serves it from its own origin, so every asset URL must be relative (base './').
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // Vite's own transform (oxc) handles TSX; the automatic runtime means no `import React` per file.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Maps stay beside the bundle for reading stack traces, but the bundle does not point to them
    // and neither host serves them (host/web/static.ts): they would hand out the whole source.
    sourcemap: 'hidden',
    // Inline nothing as data: URLs beyond tiny icons; the CSP allows data: images only.
    assetsInlineLimit: 0,
  },
  server: { strictPort: true },
});
