// Query hooks shared by pages.
import { useQuery } from "@tanstack/react-query";
import { ApiError, getKey, type Health } from "./client";

/** A health endpoint's HTTP status and body: 503 still carries the body worth showing. */
export interface HealthResult {
  code: number;
  body: Health | null;
}

async function health(path: string, signal: AbortSignal): Promise<HealthResult> {
  const headers: Record<string, string> = {};
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let r: Response;
  try {
    r = await fetch(path, { headers, signal });
  } catch (e) {
    throw new ApiError(0, "network", `could not reach the API: ${String(e)}`);
  }
  let body: Health | null = null;
  try {
    body = (await r.json()) as Health;
  } catch {
    body = null;
  }
  return { code: r.status, body };
}

export function useHealth(path: "/health" | "/health/freshness", refetchInterval = 15_000) {
  return useQuery({
    queryKey: [path],
    queryFn: ({ signal }) => health(path, signal),
    refetchInterval,
  });
}
