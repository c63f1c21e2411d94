// The shell: navigation, the UTC/local toggle, the key prompt, and the page for the URL.
// Every page but the landing (ops) page loads on demand, so the first load stays small.
import { lazy, Suspense, type ReactNode } from "react";
import { getKey, setKey } from "./api/client";
import { KeyPrompt } from "./components/KeyPrompt";
import { cx, Link, Loading } from "./components/ui";
import { match, useLocation } from "./lib/router";
import { useSettings } from "./lib/settings";
import { Ops } from "./pages/Ops";

const Markets = lazy(() => import("./pages/Markets"));
const MarketDetail = lazy(() => import("./pages/MarketDetail"));
const Games = lazy(() => import("./pages/Games"));
const GameDetail = lazy(() => import("./pages/GameDetail"));
const Backtests = lazy(() => import("./pages/Backtests"));
const BacktestDetail = lazy(() => import("./pages/BacktestDetail"));
const Trades = lazy(() => import("./pages/Trades"));

const NAV: [string, string][] = [
  ["/", "Ops"],
  ["/games", "Games"],
  ["/markets", "Markets"],
  ["/backtests", "Backtests"],
  ["/trades", "Trades"],
];

function page(path: string): ReactNode {
  let m: Record<string, string> | null;
  if (path === "/") return <Ops />;
  if (path === "/markets") return <Markets />;
  if ((m = match("/markets/:ticker", path))) return <MarketDetail ticker={m.ticker ?? ""} />;
  if (path === "/games") return <Games />;
  if ((m = match("/games/:id", path))) return <GameDetail id={m.id ?? ""} />;
  if (path === "/backtests") return <Backtests />;
  if ((m = match("/backtests/:id", path))) return <BacktestDetail id={m.id ?? ""} />;
  if (path === "/trades") return <Trades />;
  return <p>No page at {path}.</p>;
}

export function App() {
  const { path } = useLocation();
  const { zone, setZone } = useSettings();
  const section = "/" + (path.split("/")[1] ?? "");
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-4 px-4 py-2">
          <span className="font-semibold tracking-tight">Precog</span>
          <nav className="flex gap-1 text-sm">
            {NAV.map(([to, label]) => (
              <Link
                key={to}
                to={to}
                className={cx(
                  "rounded px-2 py-1",
                  section === to ? "bg-slate-800 text-white" : "text-slate-700 hover:bg-slate-100",
                )}
              >
                {label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-xs">
            <button
              type="button"
              className="rounded border border-slate-300 px-2 py-0.5"
              onClick={() => setZone(zone === "utc" ? "local" : "utc")}
              title="Show times in UTC or in this browser's time zone"
            >
              Times: {zone === "utc" ? "UTC" : "local"}
            </button>
            <button
              type="button"
              className="rounded border border-slate-300 px-2 py-0.5"
              onClick={() => {
                if (getKey()) setKey(null);
                window.dispatchEvent(new Event("precog-ask-key"));
              }}
            >
              API key
            </button>
            <a href="/docs" className="text-blue-700 hover:underline">
              API docs
            </a>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-4">
        <Suspense fallback={<Loading what="page" />}>{page(path)}</Suspense>
      </main>
      <KeyPrompt />
    </div>
  );
}
