import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Absolute asset URLs (/assets/...), so a deep link such as /tokens loads them on reload.
  base: "/",
  server: {
    port: 5173,
    strictPort: true,
    // The Rust app (`cargo run -p spa -- run`) serves the API; the browser sees one origin.
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
});
