import { defineConfig } from "vite";

// Built assets are embedded in the shell (tauri custom-protocol); no inline scripts (strict CSP).
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, modulePreload: { polyfill: false }, assetsInlineLimit: 0 },
});
