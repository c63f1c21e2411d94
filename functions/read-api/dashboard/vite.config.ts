import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// `npm run dev` proxies the API to a `read-api --serve` on :8080; `npm run build` writes dist/,
// which read-api's build.rs embeds.
const api = process.env.READ_API_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The binary carries every byte: no source maps.
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": api,
      "/health": api,
      "/openapi.json": api,
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
