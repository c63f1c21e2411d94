// Same-origin fetches of the JSON API. The key (when the server has keys) is asked for once,
// kept in sessionStorage and sent as Bearer; every failure becomes an ApiError carrying the
// status and the server's `{error, message}`, shown in place by <ErrorBox>.
import type { paths } from "./schema";

const KEY = "precog.apiKey";

export function getKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setKey(key: string | null) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event("precog-key"));
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public retryAfter?: string | null,
  ) {
    super(message);
  }
}

/** Fired on every 401 so the key prompt opens. */
export const UNAUTHORIZED_EVENT = "precog-unauthorized";

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", `could not reach the API: ${String(e)}`);
  }
  // /health answers 503 with a body worth showing; callers of health read it themselves.
  if (response.ok) return (await response.json()) as T;
  let code = `http_${response.status}`;
  let message = response.statusText || "request failed";
  try {
    const body = (await response.json()) as { error?: string; message?: string };
    if (body.error) code = body.error;
    if (body.message) message = body.message;
  } catch {
    /* not JSON */
  }
  if (response.status === 401) {
    message = key
      ? "The API key was refused (401). Enter a valid key."
      : "This API needs a key (401). Enter your API key.";
    window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  } else if (response.status === 429) {
    const retry = response.headers.get("Retry-After");
    message = `Rate limit reached (429)${retry ? `: retry in ${retry} s` : ""}. ${message}`;
    throw new ApiError(429, code, message, retry);
  }
  throw new ApiError(response.status, code, message);
}

/** Like getJson, but a 404 of the route itself (an endpoint this server does not have yet) is null. */
export async function getOptional<T>(url: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await getJson<T>(url, signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && /no such endpoint/.test(e.message)) return null;
    throw e;
  }
}

/** Builds `/api/v1/...?a=b`, dropping empty parameters. */
export function url(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

type Json<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { "application/json": infer B } } } } }
  ? B
  : never;

export type Health = Json<"/health">;
export type MarketPage = Json<"/api/v1/markets">;
export type Market = Json<"/api/v1/markets/{ticker}">;
export type History = Json<"/api/v1/markets/{ticker}/history">;
export type EventOf = Json<"/api/v1/events/{event_ticker}">;
export type SeriesOf = Json<"/api/v1/series/{ticker}">;
export type GamePage = Json<"/api/v1/games">;
export type Game = Json<"/api/v1/games/{espn_event_id}">;
export type GameStates = Json<"/api/v1/games/{espn_event_id}/states">;
export type RunPage = Json<"/api/v1/runs">;
export type TradePage = Json<"/api/v1/trades">;
export type PositionPage = Json<"/api/v1/positions">;
export type BacktestPage = Json<"/api/v1/backtests">;
export type Backtest = Json<"/api/v1/backtests/{id}">;
