// Small building blocks shared by every page: error box, times with their age, prices with
// cents, badges, links.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import { cents } from "../lib/decimal";
import { navigate } from "../lib/router";
import { useSettings } from "../lib/settings";
import { age, formatTime } from "../lib/time";

export function cx(...classes: (string | false | null | undefined)[]) {
  return classes.filter(Boolean).join(" ");
}

/** An API error shown where the data would be, with its status and code. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e =
    error instanceof ApiError ? error : new ApiError(0, "client_error", error instanceof Error ? error.message : String(error));
  return (
    <div role="alert" className="my-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
      <span className="font-mono font-semibold">
        {e.status ? `${e.status} ` : ""}
        {e.code}
      </span>
      : {e.message}
    </div>
  );
}

export function Loading({ what = "data" }: { what?: string }) {
  return <p className="my-2 text-sm text-slate-500">Loading {what}…</p>;
}

/** A time in the chosen zone, with its age. */
export function Time({ iso, showAge = true }: { iso: string | null | undefined; showAge?: boolean }) {
  const { zone, now } = useSettings();
  if (!iso) return <span className="text-slate-400">—</span>;
  return (
    <span title={iso} className="whitespace-nowrap">
      {formatTime(iso, zone)}
      {showAge && <span className="ml-1 text-xs text-slate-500">({age(iso, now)} ago)</span>}
    </span>
  );
}

/** How old a value is, alone. */
export function Age({ iso }: { iso: string | null | undefined }) {
  const { now } = useSettings();
  return <span className="whitespace-nowrap text-xs text-slate-500" title={iso ?? ""}>{age(iso, now)}</span>;
}

/** A dollar price exactly as sent, with its value in cents. */
export function Price({ value }: { value: string | null | undefined }) {
  if (value == null) return <span className="text-slate-400">—</span>;
  return (
    <span className="whitespace-nowrap font-mono" data-value={value}>
      {value}
      <span className="ml-1 text-xs text-slate-500">{cents(value)}¢</span>
    </span>
  );
}

/** A decimal exactly as sent. */
export function Num({ value }: { value: string | number | null | undefined }) {
  if (value == null) return <span className="text-slate-400">—</span>;
  return <span className="font-mono">{String(value)}</span>;
}

const BADGE: Record<string, string> = {
  ok: "bg-green-100 text-green-800",
  active: "bg-green-100 text-green-800",
  running: "bg-blue-100 text-blue-800",
  in: "bg-blue-100 text-blue-800",
  failed: "bg-red-100 text-red-800",
  down: "bg-red-100 text-red-800",
  stale: "bg-red-100 text-red-800",
  degraded: "bg-amber-100 text-amber-800",
  partial: "bg-amber-100 text-amber-800",
};

export function Badge({ children, tone }: { children: ReactNode; tone?: string }) {
  const key = tone ?? (typeof children === "string" ? children : "");
  return (
    <span className={cx("inline-block rounded px-1.5 py-0.5 text-xs font-medium", BADGE[key] ?? "bg-slate-100 text-slate-700")}>
      {children}
    </span>
  );
}

/** An in-app link that keeps the page (no reload), but still works with a middle click. */
export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className ?? "text-blue-700 hover:underline"}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function Section({ title, children, right }: { title: string; children: ReactNode; right?: ReactNode }) {
  return (
    <section className="mb-6">
      <div className="mb-2 flex items-baseline justify-between gap-4">
        <h2 className="text-lg font-semibold">{title}</h2>
        {right}
      </div>
      {children}
    </section>
  );
}

/** "Updated 12 s ago" for a query. */
export function Updated({ at }: { at: number }) {
  const { now } = useSettings();
  if (!at) return null;
  return <span className="text-xs text-slate-500">updated {Math.max(0, Math.round((now - at) / 1000))} s ago</span>;
}
