// Exact decimal arithmetic on the API's decimal strings ("0.5500"), on BigInt: prices, sizes and
// money are never turned into floating point for display, sorting or the fee.

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** A decimal as an integer and a count of digits after the point: 1.25 = {units: 125n, scale: 2}. */
export interface Dec {
  units: bigint;
  scale: number;
}

export function parse(text: string): Dec {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const [, sign, whole, frac = ""] = m;
  const units = BigInt(`${whole}${frac}`);
  return { units: sign === "-" ? -units : units, scale: frac.length };
}

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text.trim());
}

/** Renders with exactly `scale` digits after the point (no rounding: the value carries them). */
export function format(d: Dec): string {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, "0");
  const whole = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale);
  return `${negative ? "-" : ""}${whole}${d.scale > 0 ? `.${frac}` : ""}`;
}

function rescale(d: Dec, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function add(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return format({ units: rescale(x, scale) + rescale(y, scale), scale });
}

export function sub(a: string, b: string): string {
  const y = parse(b);
  return add(a, format({ units: -y.units, scale: y.scale }));
}

export function mul(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  return format({ units: x.units * y.units, scale: x.scale + y.scale });
}

/** -1, 0 or 1, exactly (for sorting tables). */
export function compare(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Drops trailing zeros after the point ("55.00" → "55", "0.250" → "0.25"). */
export function trim(text: string): string {
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * A dollar price as cents, exactly: "0.5500" → "55", "0.0025" → "0.25", "1" → "100".
 * The dollar figure is shown as sent; the cents figure drops only trailing zeros.
 */
export function cents(dollars: string): string {
  return trim(mul(dollars, "100"));
}

/** Rounds up (towards +∞) to `scale` digits. */
export function ceilTo(text: string, scale: number): string {
  const d = parse(text);
  if (d.scale <= scale) return format({ units: rescale(d, scale), scale });
  const factor = 10n ** BigInt(d.scale - scale);
  let q = d.units / factor;
  if (d.units % factor !== 0n && d.units > 0n) q += 1n;
  return format({ units: q, scale });
}

/** A number for plotting only (charts draw in pixels; tables and labels use the strings). */
export function toNumber(text: string | null | undefined): number | null {
  if (text == null) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
