// A small client-side router over the History API: every page has its own URL, and its filters
// live in the query string so a view can be shared.
import { useCallback, useSyncExternalStore } from "react";

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());

if (typeof window !== "undefined") window.addEventListener("popstate", notify);

function subscribe(l: () => void) {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export function useLocation(): { path: string; search: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, "http://x");
  return { path: url.pathname, search: url.searchParams };
}

export function navigate(to: string, replace = false) {
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.scrollTo(0, 0);
  notify();
}

/** The query string as state: `set({q: "x"})` replaces the URL (no history entry per keystroke). */
export function useSearch(): [URLSearchParams, (changes: Record<string, string | null>) => void] {
  const { path, search } = useLocation();
  const set = useCallback(
    (changes: Record<string, string | null>) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v == null || v === "") next.delete(k);
        else next.set(k, v);
      }
      const qs = next.toString();
      navigate(`${path}${qs ? `?${qs}` : ""}`, true);
    },
    [path],
  );
  return [search, set];
}

/** Matches `/markets/:ticker` style patterns; returns the decoded parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const a = path.split("/");
  if (p.length !== a.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] ?? "";
    const val = a[i] ?? "";
    if (seg.startsWith(":")) {
      if (!val) return null;
      out[seg.slice(1)] = decodeURIComponent(val);
    } else if (seg !== val) return null;
  }
  return out;
}
