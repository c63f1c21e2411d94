// Keyset paging: the current cursor lives in the URL (so a page can be shared), the way back in
// a `prev` list of cursors.
import { useSearch } from "../lib/router";

export function Pager({ next }: { next: string | null | undefined }) {
  const [search, set] = useSearch();
  const cursor = search.get("cursor");
  const prev = (search.get("prev") ?? "").split(".").filter(Boolean);
  return (
    <div className="mt-2 flex gap-2 text-sm">
      <button
        type="button"
        disabled={!cursor}
        className="rounded border border-slate-300 px-2 disabled:opacity-40"
        onClick={() => {
          const back = prev.slice(0, -1);
          set({ cursor: prev[prev.length - 1] ?? null, prev: back.join(".") || null });
        }}
      >
        ← Previous
      </button>
      <button
        type="button"
        disabled={!next}
        className="rounded border border-slate-300 px-2 disabled:opacity-40"
        onClick={() => set({ cursor: next ?? null, prev: [...prev, cursor ?? "0"].join(".") })}
      >
        Next →
      </button>
    </div>
  );
}
