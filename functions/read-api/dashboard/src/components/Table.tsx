// A sortable table whose rows download as CSV exactly as shown. Columns say how to render a
// row, what text goes in the CSV, and how to sort (decimal strings compare exactly).
import { useMemo, useState, type ReactNode } from "react";
import { compare, isDecimal } from "../lib/decimal";
import { download, toCsv } from "../lib/csv";
import { cx } from "./ui";

export interface Column<T> {
  key: string;
  header: string;
  /** The CSV/sort value: the API's own string. */
  value: (row: T) => string | number | boolean | null | undefined;
  render?: (row: T) => ReactNode;
  align?: "right";
}

function sortValue(a: unknown, b: unknown): number {
  if (a == null && b == null) return 0;
  if (a == null) return 1;
  if (b == null) return -1;
  if (typeof a === "string" && typeof b === "string") {
    if (isDecimal(a) && isDecimal(b)) return compare(a, b);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function Table<T>({
  rows,
  columns,
  csvName,
  rowKey,
  initialSort,
  rowClass,
  empty = "Nothing here yet.",
}: {
  rows: T[];
  columns: Column<T>[];
  csvName: string;
  rowKey: (row: T, i: number) => string;
  initialSort?: { key: string; desc: boolean };
  rowClass?: (row: T) => string | undefined;
  empty?: string;
}) {
  const [sort, setSort] = useState(initialSort ?? null);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const col = columns.find((c) => c.key === sort.key);
    if (!col) return rows;
    const out = [...rows].sort((a, b) => sortValue(col.value(a), col.value(b)));
    return sort.desc ? out.reverse() : out;
  }, [rows, columns, sort]);
  const csv = () =>
    download(
      `${csvName}.csv`,
      toCsv(
        columns.map((c) => c.header),
        sorted.map((r) => columns.map((c) => c.value(r))),
      ),
    );
  return (
    <div>
      <div className="overflow-x-auto rounded border border-slate-200 bg-white">
        <table className="min-w-full text-sm" data-table={csvName}>
          <thead className="bg-slate-100 text-left text-xs uppercase text-slate-600">
            <tr>
              {columns.map((c) => (
                <th key={c.key} className={cx("px-2 py-1.5", c.align === "right" && "text-right")}>
                  <button
                    type="button"
                    className="uppercase hover:underline"
                    onClick={() =>
                      setSort((s) => (s?.key === c.key ? { key: c.key, desc: !s.desc } : { key: c.key, desc: false }))
                    }
                  >
                    {c.header}
                    {sort?.key === c.key ? (sort.desc ? " ▼" : " ▲") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.length === 0 && (
              <tr>
                <td colSpan={columns.length} className="px-2 py-3 text-slate-500">
                  {empty}
                </td>
              </tr>
            )}
            {sorted.map((r, i) => (
              <tr key={rowKey(r, i)} className={cx("border-t border-slate-100", rowClass?.(r))}>
                {columns.map((c) => (
                  <td key={c.key} className={cx("px-2 py-1 align-top", c.align === "right" && "text-right")}>
                    {c.render ? c.render(r) : String(c.value(r) ?? "—")}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" onClick={csv} className="mt-1 text-xs text-blue-700 hover:underline">
        Download CSV ({sorted.length} rows)
      </button>
    </div>
  );
}
