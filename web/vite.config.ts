import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Run from the repository root (npm run build). The service's CSP allows no inline script or style, so nothing may be
// inlined: every asset is a hashed file under assets/, and no module-preload polyfill is injected.
export default defineConfig({
  root: 'web',
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
  },
});
