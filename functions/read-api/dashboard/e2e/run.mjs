// End-to-end checks of every dashboard page in Debian's Chromium (never a downloaded browser),
// against a read-api --serve over seeded PostgreSQL (started by read-api's tests/dashboard).
// Env: BASE_URL (no keys), KEYED_URL + API_KEY (a key configured), SCREENSHOTS (folder).
// Also prints the measurements: first meaningful paint of the ops page and frames while panning
// a 10,000-point chart.
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8080";
const KEYED = process.env.KEYED_URL;
const KEY = process.env.API_KEY;
const SHOTS = process.env.SCREENSHOTS ?? join(tmpdir(), "precog-dashboard-screenshots");
mkdirSync(SHOTS, { recursive: true });

// chromium.launch gives Chromium a fresh, empty profile directory of its own each time.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
  ],
});

let failures = 0;
const measured = {};

/** Endpoints that may not exist yet (game↔market links): their 404s are expected. */
const OPTIONAL = /\/api\/v1\/(links|games\/[^/]+\/(markets|timeline)|markets\/[^/]+\/game)(\?|$)/;

async function check(name, path, body, { base = BASE, allow401 = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const url = msg.location()?.url ?? "";
    if (OPTIONAL.test(url) && /404/.test(msg.text())) return;
    if (allow401 && /401/.test(msg.text())) return;
    errors.push(`${msg.text()} (${url})`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  const started = Date.now();
  try {
    const response = await page.goto(base + path, { waitUntil: "domcontentloaded" });
    if (!response || response.status() !== 200) throw new Error(`deep link answered ${response?.status()}`);
    await body(page);
    if (errors.length) throw new Error(`console errors:\n  ${errors.join("\n  ")}`);
    console.log(`ok   ${name} (${path}) ${Date.now() - started} ms`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name} (${path}): ${e.message}`);
  } finally {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }).catch(() => {});
    await context.close();
  }
}

const text = (page, t, opts = {}) => page.getByText(t, { exact: false, ...opts }).first().waitFor({ timeout: 10_000 });

/** The chart labelled `label` has drawn: its canvas exists and is not blank. */
async function chartDrew(page, label) {
  const canvas = page.locator(`[data-chart="${label}"] canvas`).first();
  await canvas.waitFor({ timeout: 10_000 });
  const inked = await canvas.evaluate((c) => {
    const ctx = c.getContext("2d");
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
    return n;
  });
  if (inked < 200) throw new Error(`chart ${label} drew only ${inked} pixels`);
  const points = await page.evaluate(
    (l) => window.__charts.find((c) => c.root.parentElement?.dataset.chart === l)?.data[0].length ?? 0,
    label,
  );
  if (points < 1) throw new Error(`chart ${label} has no points`);
}

// Ops: liveness and freshness, the ledger with failures first, rejected counts.
await check("ops", "/", async (page) => {
  await text(page, "HTTP 200");
  await page.locator('[data-testid="freshness"]').getByText("ok · HTTP 200").waitFor();
  await text(page, "ESPN answered 502 twice");
  const firstStatus = await page.locator('table[data-table="runs"] tbody tr').first().innerText();
  if (!/failed/.test(firstStatus)) throw new Error(`failures are not first: ${firstStatus}`);
  const espn = await page.locator('table[data-table="functions"] tr', { hasText: "collect-espn" }).innerText();
  if (!/\b2\b/.test(espn.split("\t").pop() ?? "")) throw new Error(`rejected count for collect-espn: ${espn}`);
});

// Markets: a sub-penny price exactly as stored, with its cents.
await check("markets", "/markets?q=Sub-penny", async (page) => {
  await text(page, "KXNFLGAME-25NOV20BUFHOU-SUB");
  const row = page.locator("tr", { hasText: "KXNFLGAME-25NOV20BUFHOU-SUB" });
  const cells = await row.innerText();
  for (const want of ["0.0025", "0.25¢", "0.0125", "1.25¢", "0.0100"]) {
    if (!cells.includes(want)) throw new Error(`markets row lacks ${want}: ${cells}`);
  }
});

// Market detail: exact quote, the fee at the ask, and the price chart draws.
await check("market-detail", "/markets/KXNFLGAME-25NOV20BUFHOU-BUF?range=30d", async (page) => {
  await text(page, "Buffalo 100% to win?");
  await text(page, "0.6100");
  await text(page, "61¢");
  // Taker fee at the ask 0.6300, series KXNFLGAME quadratic × 0.07: ⌈0.07×0.07×1×0.63×0.37⌉ = 0.01.
  const fee = await page.locator('[data-testid="fee"]').innerText();
  if (fee !== "0.01 / 0.12") throw new Error(`fee shown ${fee}`);
  await chartDrew(page, "price");
});

// Games: the seeded live game's score and win probability.
await check("games", "/games?date=2026-11-20", async (page) => {
  await text(page, "BUF @ HOU");
  const card = await page.locator('[data-testid="game-401772001"]').innerText();
  for (const want of ["7", "3", "0.41"]) if (!card.includes(want)) throw new Error(`game card lacks ${want}: ${card}`);
});

await check("game-detail", "/games/401772001", async (page) => {
  await text(page, "Buffalo Bills at Houston Texans");
  await chartDrew(page, "win probability");
});

await check("backtests", "/backtests", async (page) => {
  await text(page, "threshold_hold@abc123");
  await text(page, "51.52");
});

await check("backtest-detail", "/backtests/00000000-0000-0000-0000-0000000000b1", async (page) => {
  await text(page, "0.3025");
  await text(page, "8.48");
  await chartDrew(page, "equity");
});

await check("trades", "/trades?env=paper", async (page) => {
  await page.locator('[data-testid="environment"]', { hasText: "paper environment" }).waitFor();
  await text(page, "0.40");
  const rows = await page.locator('table[data-table="trades-paper"] tbody tr').count();
  if (rows !== 1) throw new Error(`paper trades: ${rows} rows, want 1`);
});

// With keys: the prompt opens, a bad key gets the 401 message, the good key shows the data.
if (KEYED && KEY) {
  await check(
    "key-prompt",
    "/markets",
    async (page) => {
      const input = page.getByRole("textbox", { name: "API key" });
      await input.waitFor({ timeout: 10_000 });
      await text(page, "This API needs a key");
      await input.fill("wrong-key");
      await page.getByRole("button", { name: "Use key" }).click();
      await text(page, "The key was refused (401)");
      await page.screenshot({ path: join(SHOTS, "key-prompt-refused.png") });
      await input.fill(KEY);
      await page.getByRole("button", { name: "Use key" }).click();
      await text(page, "KXNFLGAME-25NOV20BUFHOU-BUF");
      const stored = await page.evaluate(() => sessionStorage.getItem("precog.apiKey"));
      if (stored !== KEY) throw new Error("the key is not in sessionStorage");
    },
    { base: KEYED, allow401: true },
  );
}

// Measurements (printed, never asserted).
{
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(BASE + "/", { waitUntil: "commit" });
  await page.locator('table[data-table="functions"] tbody tr').first().waitFor();
  measured.ops_first_meaningful_paint_ms = Date.now() - t0;
  measured.ops_first_contentful_paint_ms = await page.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
  );
  measured.initial_js_transfer_bytes = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((r) => r.name.endsWith(".js"))
      .concat(performance.getEntriesByType("navigation"))
      .reduce((n, r) => n + (r.name.endsWith(".js") ? r.transferSize : 0), 0),
  );
  await page.goto(BASE + "/markets/KXNFLGAME-25NOV20BUFHOU-TENK?range=1d&interval=1", { waitUntil: "domcontentloaded" });
  await chartDrew(page, "price");
  // Pan the 10k-point chart (interval=1: every stored point is kept) across its range, one step per frame.
  Object.assign(
    measured,
    await page.evaluate(async () => {
      const u = window.__charts.find((c) => c.root.parentElement?.dataset.chart === "price");
      const xs = u.data[0];
      const points = xs.length;
      const span = (xs[xs.length - 1] - xs[0]) / 4;
      let min = xs[0];
      const frames = 240;
      const start = performance.now();
      let longest = 0;
      let last = start;
      for (let i = 0; i < frames; i++) {
        min += span / 80;
        u.setScale("x", { min, max: min + span });
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }
      const ms = performance.now() - start;
      return { pan_points: points, pan_frames: frames, pan_fps: Math.round((frames / ms) * 1000), pan_longest_frame_ms: Math.round(longest) };
    }),
  );
  await context.close();
}

await browser.close();
writeFileSync(join(SHOTS, "measured.json"), JSON.stringify(measured, null, 2));
console.log("measured:", JSON.stringify(measured));
console.log(`screenshots: ${SHOTS}`);
if (failures) {
  console.log(`${failures} page check(s) failed`);
  process.exit(1);
}
