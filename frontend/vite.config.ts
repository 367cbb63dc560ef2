import { defineConfig } from 'vite';

// Builds straight into the backend's static folder with fixed names (paths relative to frontend/):
//   ../src/scanroom/web/static/viewer/viewer.js   (ES module entry)
//   ../src/scanroom/web/static/viewer/viewer.css
// App-mode build with a TS entry (not library mode): full minification and NODE_ENV replacement.
export default defineConfig({
  base: './',
  build: {
    outDir: '../src/scanroom/web/static/viewer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: false,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: 'src/main.ts',
      preserveEntrySignatures: 'exports-only',
      output: {
        format: 'es',
        entryFileNames: 'viewer.js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: (info) =>
          (info.names ?? []).some((n) => n.endsWith('.css')) ? 'viewer.css' : 'assets/[name]-[hash][extname]',
      },
    },
  },
});
