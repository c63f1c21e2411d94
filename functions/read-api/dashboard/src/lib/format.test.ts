import { describe, expect, it } from "vitest";
import { add, cents, ceilTo, compare, isDecimal, mul, parse, sub, trim } from "./decimal";
import { feeAt } from "./fee";
import { age, duration, formatTime } from "./time";
import { toCsv } from "./csv";

describe("decimals stay exact", () => {
  it("keeps the digits the API sent", () => {
    expect(trim("0.5500")).toBe("0.55");
    expect(parse("0.5500")).toEqual({ units: 5500n, scale: 4 });
    expect(parse("-12")).toEqual({ units: -12n, scale: 0 });
    expect(() => parse("1e-3")).toThrow(/not a decimal/);
    expect(isDecimal("0.0025")).toBe(true);
    expect(isDecimal("abc")).toBe(false);
  });
  it("converts dollars to cents without rounding", () => {
    expect(cents("0.5500")).toBe("55");
    expect(cents("0.0025")).toBe("0.25");
    expect(cents("0.5625")).toBe("56.25");
    expect(cents("1")).toBe("100");
    expect(cents("0")).toBe("0");
  });
  it("adds, subtracts, multiplies and compares where floats would not", () => {
    expect(add("0.1", "0.2")).toBe("0.3");
    expect(sub("0.5700", "0.5500")).toBe("0.0200");
    expect(sub("0.55", "0.5700")).toBe("-0.0200");
    expect(mul("0.07", "0.25")).toBe("0.0175");
    expect(compare("0.10", "0.1")).toBe(0);
    expect(compare("0.0999", "0.1")).toBe(-1);
    expect(compare("10", "9.99")).toBe(1);
    expect(compare("-1", "0")).toBe(-1);
  });
  it("rounds up to the cent", () => {
    expect(ceilTo("0.000693", 2)).toBe("0.01");
    expect(ceilTo("1.75", 2)).toBe("1.75");
    expect(ceilTo("1.7500001", 2)).toBe("1.76");
    expect(ceilTo("2", 2)).toBe("2.00");
    expect(ceilTo("-0.005", 2)).toBe("0.00");
  });
});

describe("the fee at a price matches backtest-run's", () => {
  it("charges takers 7% of C·P·(1−P), rounded up to the cent", () => {
    expect(feeAt("0.50", "100", "quadratic", "1")).toBe("1.75");
    expect(feeAt("0.50", "1", "quadratic", "1")).toBe("0.02");
    expect(feeAt("0.10", "10", "quadratic", "1")).toBe("0.07");
    expect(feeAt("0.99", "1", "quadratic", "1")).toBe("0.01");
    expect(feeAt("0.5500", "100", "quadratic", "0.5")).toBe("0.87");
  });
  it("charges makers only on maker-fee series, and nothing on zero", () => {
    expect(feeAt("0.50", "100", "quadratic_with_maker_fees", "1", "maker")).toBe("0.44");
    expect(feeAt("0.50", "100", "quadratic", "1", "maker")).toBe("0.00");
    expect(feeAt("0.50", "100", "zero", "1")).toBe("0.00");
  });
  it("defaults to quadratic with multiplier 1", () => {
    expect(feeAt("0.50", "100", null, null)).toBe("1.75");
  });
});

describe("times", () => {
  it("formats UTC exactly", () => {
    expect(formatTime("2026-11-20T12:02:00Z")).toBe("2026-11-20 12:02:00 UTC");
    expect(formatTime("2026-11-20T12:02:00.123+00:00")).toBe("2026-11-20 12:02:00 UTC");
    expect(formatTime(null)).toBe("—");
  });
  it("formats local time with its offset", () => {
    const text = formatTime("2026-11-20T12:02:00Z", "local");
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d$/);
  });
  it("says how old a value is", () => {
    const now = Date.parse("2026-11-20T12:00:00Z");
    expect(age("2026-11-20T11:59:18Z", now)).toBe("42 s");
    expect(age("2026-11-20T11:57:00Z", now)).toBe("3 min");
    expect(age("2026-11-20T09:55:00Z", now)).toBe("2 h 5 min");
    expect(age("2026-11-17T08:00:00Z", now)).toBe("3 d 4 h");
    expect(age(null, now)).toBe("never");
    expect(duration(7200)).toBe("2 h");
  });
});

describe("CSV", () => {
  it("quotes what needs quoting", () => {
    expect(toCsv(["a", "b"], [["x,y", 'say "hi"'], [null, "0.5500"]])).toBe(
      'a,b\r\n"x,y","say ""hi"""\r\n,0.5500\r\n',
    );
  });
});
