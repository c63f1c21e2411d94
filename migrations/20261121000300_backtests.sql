-- Backtests as data (issue 6): one row per backtest (one per parameter combination of a sweep),
-- its executions, and its fills as ordinary `trades` rows with execution_environment 'backtest'
-- (ADR-107), tied back to the result that produced them.

create table backtest_results (
    id               uuid primary key,
    -- The backtest-run invocation that produced it; a sweep's combinations share one run.
    run_id           uuid        references collection_runs (id),
    strategy         text        not null,
    -- The code's git commit, baked in at build time: results from different code never mix silently.
    version          text        not null,
    params           jsonb       not null,   -- this combination's scalar parameters
    selection        jsonb       not null,   -- {"series": [...]} / {"events": [...]} / {"tickers": [...]}
    settings         jsonb       not null,   -- starting cash, fill and fee settings
    window_start     timestamptz,            -- null: from the first stored snapshot
    window_end       timestamptz,            -- null: to the last stored snapshot
    starting_cash    numeric     not null,
    -- Headline metrics as columns so they can be filtered and sorted in SQL; the rest in `metrics`.
    net_pnl          numeric     not null,
    gross_pnl        numeric     not null,
    fees_paid        numeric     not null,
    num_trades       integer     not null,
    sharpe           numeric,                -- null when undefined (fewer than two days, no variance)
    max_drawdown     numeric     not null,   -- dollars, peak to trough of equity
    win_rate         numeric,                -- null without closed positions
    metrics          jsonb       not null,
    equity_curve     jsonb       not null,   -- [{"t": ..., "equity": "...", "drawdown": "..."}], daily + at each settlement
    -- Position in its sweep's ranking by net P&L (1 = best); 1 for a single run.
    sweep_rank       integer     not null default 1,
    snapshots_replayed bigint    not null,
    created_at       timestamptz not null default now()
);
create index backtest_results_strategy_created on backtest_results (strategy, created_at desc);
create index backtest_results_run on backtest_results (run_id);

-- One row per position a backtest opened: entry, exit (a sale, the settlement, or still open at the
-- end of the window), and why. Snapshot ids point at market_snapshots.id; no foreign key because that
-- column is not unique-constrained (its primary key includes observed_at for TimescaleDB).
create table backtest_executions (
    id                bigint generated always as identity primary key,
    backtest_id       uuid        not null references backtest_results (id) on delete cascade,
    seq               integer     not null,  -- order of entry within the backtest
    ticker            text        not null,
    side              text        not null check (side in ('yes', 'no')),
    contracts         numeric     not null check (contracts > 0),
    entry_time        timestamptz not null,
    entry_price       numeric     not null,
    entry_fee         numeric     not null,
    entry_snapshot_id bigint,
    entry_reason      jsonb       not null,
    exit_kind         text        not null check (exit_kind in ('sold', 'settled', 'open')),
    exit_time         timestamptz,            -- null while open at the end of the window
    exit_price        numeric,                -- sale price, settlement value, or the mark when open
    exit_fee          numeric     not null default 0,
    exit_snapshot_id  bigint,
    exit_reason       jsonb,
    gross_pnl         numeric     not null,   -- open positions: marked at the bid, not realised
    fees              numeric     not null,
    pnl               numeric     not null,
    unique (backtest_id, seq)
);

-- Backtest fills live in `trades` like any other (views backtest_trades / training_data_trades),
-- tied to the backtest that made them; deleting a backtest deletes its fills.
alter table trades
    add column backtest_result_id uuid references backtest_results (id) on delete cascade;
create index trades_backtest_result on trades (backtest_result_id) where backtest_result_id is not null;
-- The ADR-107 views were created with `select *`, which PostgreSQL expands once: re-create them so
-- they show the new column too (appending a column is allowed by create or replace).
create or replace view live_trades as select * from trades where execution_environment = 'live';
create or replace view paper_trades as select * from trades where execution_environment = 'paper';
create or replace view backtest_trades as select * from trades where execution_environment = 'backtest';
create or replace view training_data_trades as select * from trades where execution_environment in ('paper', 'backtest');
