// Times arrive as RFC 3339 UTC; they are shown in UTC by default, or in the browser's zone.

export type Zone = "utc" | "local";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

export function formatTime(iso: string | null | undefined, zone: Zone = "utc"): string {
  if (!iso) return "—";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  if (zone === "utc") {
    return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(
      t.getUTCHours(),
    )}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} UTC`;
  }
  const offset = -t.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(
    t.getMinutes(),
  )}:${pad(t.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "42 s", "3 min", "2 h 5 min", "3 d 4 h": how long ago `iso` was, as of `now`. */
export function age(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "never";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "?";
  return duration(Math.max(0, Math.round((now - then) / 1000)));
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Milliseconds between two RFC 3339 times, or null when either is missing. */
export function between(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  const d = Date.parse(end) - Date.parse(start);
  return Number.isNaN(d) ? null : d;
}

/** Seconds since the epoch, for chart axes. */
export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}
