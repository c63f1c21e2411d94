-- Where a game state came from (issue 11: backfill never mixes with live). `live` rows were seen by
-- collect-espn at `observed_at`; `backfill` rows were reconstructed later (from an ESPN summary's
-- play-by-play or win-probability series after the game), so they must never be replayed as if
-- they had been seen then. Backtests and the training export read `live` only unless asked.
-- Numbered before the storage migration so the column exists before compression is enabled.
alter table game_states
    add column source text not null default 'live'
        constraint game_states_source check (source in ('live', 'backfill'));
