-- Game-aware backtests (issue 11) and backtests on backfilled quotes (issue 13): each stored
-- backtest says which rows it replayed, so a result computed on quotes materialised from Kalshi's
-- candles, or on game states reconstructed after the game, is never mistaken for one on what was
-- seen live. Existing rows replayed live snapshots only (the backtest had no other choice).
alter table backtest_results
    -- Which market_snapshots were replayed: live (rest/websocket), backfill, or both.
    add column quotes text not null default 'live'
        constraint backtest_results_quotes check (quotes in ('live', 'backfill', 'both')),
    -- Which game_states strategies could see.
    add column game_states text not null default 'live'
        constraint backtest_results_game_states check (game_states in ('live', 'backfill', 'both')),
    -- How many of the replayed snapshots were backfilled (0: the result rests on live quotes only).
    add column backfill_snapshots bigint not null default 0,
    -- Game states merged into the replay, and how many of them were backfilled.
    add column game_states_replayed bigint not null default 0,
    add column backfill_game_states bigint not null default 0;
