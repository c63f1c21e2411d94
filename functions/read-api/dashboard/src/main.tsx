import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ApiError } from "./api/client";
import { App } from "./App";
import { SettingsProvider } from "./lib/settings";
import "./index.css";

const client = new QueryClient({
  defaultOptions: {
    queries: {
      // Polling pauses in background tabs (refetchIntervalInBackground stays false).
      refetchOnWindowFocus: true,
      staleTime: 5_000,
      // A refused key or a missing page will not fix itself by retrying.
      retry: (n, e) => !(e instanceof ApiError && [400, 401, 404, 429].includes(e.status)) && n < 2,
    },
  },
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={client}>
        <SettingsProvider>
          <App />
        </SettingsProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}
