-- collect-espn: one row per ESPN event (`games`) and the game's state each time it was seen to
-- change (`game_states`). See shared/reference/espn-api.md for the upstream shapes; every state
-- field is nullable because ESPN omits blocks freely (situation between plays, timeouts outside
-- live play, probability when it has none).

-- Facts about the game, upserted as they change (a postponed game gets a new date). The status
-- columns mirror the latest stored state so a listing needs no join.
create table games (
    espn_event_id        text primary key,
    league               text        not null,   -- ESPN's `sport/league` slug, e.g. 'football/nfl'
    season               integer,
    season_type          integer,                -- 1 pre, 2 regular, 3 post, 4 off-season
    week                 integer,                -- football only
    scheduled_start      timestamptz,
    name                 text,                   -- "Philadelphia Eagles at Chicago Bears"
    short_name           text,                   -- "PHI @ CHI"
    home_team_id         text,
    home_team_abbreviation text,
    home_team_name       text,
    away_team_id         text,
    away_team_abbreviation text,
    away_team_name       text,
    venue                text,
    neutral_site         boolean,
    status_type_id       text,
    status_name          text,                   -- STATUS_IN_PROGRESS, STATUS_POSTPONED, ...
    status_state         text,                   -- pre | in | post
    completed            boolean,                -- final only when true (postponed is post, not final)
    first_seen_at        timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    last_state_at        timestamptz             -- points at the latest game_states row
);
create index games_league_start on games (league, scheduled_start);
create index games_scheduled_start on games (scheduled_start);
-- Games not yet final: what a live view lists.
create index games_unfinished on games (league, scheduled_start) where completed is not true;

-- Game states as observed (ADR-003: timezone-aware time, raw payload). A row is stored only when
-- something other than the observation time changed since the game's previous row.
create table game_states (
    espn_event_id        text        not null,
    observed_at          timestamptz not null,
    status_type_id       text,
    status_name          text,
    status_state         text,
    completed            boolean,
    status_detail        text,                   -- "10:17 - 1st Quarter", "Halftime", "Final/OT"
    period               integer,
    clock_seconds        numeric,
    display_clock        text,
    home_score           integer,
    away_score           integer,
    possession_team_id   text,
    down                 integer,                -- null on dead balls (ESPN sends -1 or 0)
    distance             integer,
    yard_line            integer,
    is_red_zone          boolean,
    home_timeouts        integer,
    away_timeouts        integer,
    last_play_id         text,
    last_play_text       text,
    home_win_probability numeric,                -- 0..1, as ESPN gave it at observed_at
    away_win_probability numeric,
    tie_probability      numeric,
    win_probability_source text check (win_probability_source in ('scoreboard', 'summary')),
    raw                  jsonb       not null,   -- the competition object as served
    collected_at         timestamptz not null default now(),
    -- Includes the time column so the table can become a TimescaleDB hypertable.
    primary key (espn_event_id, observed_at)
);
create index game_states_observed on game_states (observed_at);

-- TimescaleDB when the server has it (production); a no-op on plain PostgreSQL.
do $$
begin
    if exists (select 1 from pg_available_extensions where name = 'timescaledb')
       and current_setting('shared_preload_libraries', true) like '%timescaledb%' then
        create extension if not exists timescaledb;
        perform create_hypertable('game_states', 'observed_at',
                                  chunk_time_interval => interval '7 days',
                                  migrate_data => true, if_not_exists => true);
    end if;
end
$$;
