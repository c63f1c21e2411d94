-- Whether a fill took liquidity (crossed the spread) or was a resting order someone else took:
-- Kalshi's fills report it as `is_taker`, and the fee differs. backtest-run fills limit orders
-- as a maker. Null where unknown (rows written before this column).
alter table trades add column is_taker boolean;
