// Kalshi's trading fee, as backtest-run charges it (functions/backtest-run/src/fees.rs):
// ⌈rate × multiplier × C × P × (1 − P)⌉ to the cent, rate 0.07 for takers; makers pay 0.0175 on
// the maker-fee series types and nothing elsewhere; `zero` charges nothing.
import { ceilTo, mul, sub } from "./decimal";

export type Liquidity = "taker" | "maker";

const MAKER_TYPES = new Set(["quadratic_with_maker_fees", "quadratic_with_combo_maker_fees"]);

/** The fee in dollars (a decimal string with two places) for `contracts` at `price` dollars. */
export function feeAt(
  price: string,
  contracts: string,
  feeType: string | null | undefined,
  multiplier: string | null | undefined,
  liquidity: Liquidity = "taker",
): string {
  const type = feeType ?? "quadratic";
  if (type === "zero") return "0.00";
  let rate: string;
  if (liquidity === "taker") rate = "0.07";
  else if (MAKER_TYPES.has(type)) rate = "0.0175";
  else return "0.00";
  const raw = mul(mul(mul(mul(rate, multiplier ?? "1"), contracts), price), sub("1", price));
  return ceilTo(raw, 2);
}
