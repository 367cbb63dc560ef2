import { defineConfig } from 'vite';

// Output goes straight into the backend's static folder with fixed names:
//   ../src/scanroom/web/static/viewer/viewer.js  (ES module entry)
//   ../src/scanroom/web/static/viewer/viewer.css
// Paths are relative to this folder (Vite's root).
const outDir = '../src/scanroom/web/static/viewer';

export default defineConfig({
  // Library mode does not replace process.env.* by itself; some deps read NODE_ENV.
  define: {
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  resolve: {
    // vtk.js imports the Node "events" module; use the npm polyfill.
    alias: { events: 'events' },
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    lib: {
      entry: 'src/main.ts',
      formats: ['es'],
      fileName: () => 'viewer.js',
      cssFileName: 'viewer',
    },
    rollupOptions: {
      output: {
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: (info) =>
          (info.names ?? []).some((n) => n.endsWith('.css')) ? 'viewer.css' : 'assets/[name]-[hash][extname]',
      },
    },
  },
});
