// uPlot on canvas for every time series: fast at 10k+ points, drag to zoom (double-click resets),
// series toggled from the legend. The chart is sized to its container and redrawn in place when
// the data changes (no re-creation, so a zoom survives a poll).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useSettings } from "../lib/settings";

export interface ChartProps {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  height?: number;
  /** Extra options (axes, scales, bands, hooks). */
  options?: Partial<uPlot.Options>;
  label: string;
}

export function Chart({ data, series, height = 260, options, label }: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { zone } = useSettings();

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const opts: uPlot.Options = {
      width: Math.max(300, node.clientWidth),
      height,
      series: [{}, ...series],
      cursor: { drag: { x: true, y: false } },
      // A single point would otherwise stretch the time axis over years.

      tzDate: zone === "utc" ? (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") : (ts) => new Date(ts * 1000),
      ...options,
      scales: {
        // A single point would otherwise stretch the time axis over years.
        x: { time: true, range: (_u, min, max) => (min === max ? [min - 1800, max + 1800] : [min, max]) },
        ...options?.scales,
      },
    };
    const p = new uPlot(opts, data, node);
    plot.current = p;
    (window as unknown as { __charts?: uPlot[] }).__charts = [
      ...((window as unknown as { __charts?: uPlot[] }).__charts ?? []),
      p,
    ];
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(300, node.clientWidth), height }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      const w = window as unknown as { __charts?: uPlot[] };
      w.__charts = (w.__charts ?? []).filter((c) => c !== p);
      p.destroy();
      plot.current = null;
    };
    // Re-create only when the shape of the chart changes; data updates go through setData.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series.length, height, zone]);

  useEffect(() => {
    plot.current?.setData(data, true);
  }, [data]);

  return <div ref={el} role="img" aria-label={label} data-chart={label} className="w-full" />;
}
