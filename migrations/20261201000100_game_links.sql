-- Games meet markets (issue 10 §1): which Kalshi market is about which ESPN game, and which side
-- its YES is. Four tables, all data rather than code:
--   game_series          Kalshi series -> ESPN league and market kind (discovered from
--                        GET /series?category=Sports; a seed below is only the fallback)
--   kalshi_league_tokens the league token inside a series ticker (KX<token>GAME) -> ESPN league,
--                        which is how discovery recognises a game series
--   team_aliases         a provider's team code -> ESPN team id, per league, with validity dates
--   game_links           one row per game-series market, matched or not, with its evidence
-- plus kalshi_milestones (Kalshi's own game metadata, the strongest evidence) and linker_state
-- (the linker's watermarks). docs/linking.md explains the rules; the linker lives in
-- shared/src/linking/. Leagues are ESPN `sport/league` slugs, exactly as games.league stores them.

-- Kalshi series that are about single games. `kind` says what their markets are: the winner
-- (moneyline), a margin (spread) or the combined score (total); anything else game-shaped is
-- 'other'. Discovery never overwrites a row an operator wrote (source 'operator').
create table game_series (
    series_ticker  text primary key,
    league         text        not null,
    kind           text        not null check (kind in ('moneyline', 'spread', 'total', 'other')),
    source         text        not null check (source in ('seed', 'discovered', 'operator')),
    title          text,
    tags           text[],
    discovered_at  timestamptz,            -- last time GET /series listed it; null for seed/operator rows
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create index game_series_league on game_series (league);

-- The league token in a game series ticker: KXNFLGAME -> 'NFL', KXNCAAFBGAME -> 'NCAAFB'. Kalshi
-- spells leagues differently between series, so the spellings are rows an operator can add to.
create table kalshi_league_tokens (
    token      text primary key,
    league     text        not null,
    created_at timestamptz not null default now()
);
insert into kalshi_league_tokens (token, league) values
    ('NFL',     'football/nfl'),
    ('NCAAF',   'football/college-football'),
    ('NCAAFB',  'football/college-football'),
    ('CFB',     'football/college-football'),
    ('NBA',     'basketball/nba'),
    ('WNBA',    'basketball/wnba'),
    ('NCAAMB',  'basketball/mens-college-basketball'),
    ('NCAAB',   'basketball/mens-college-basketball'),
    ('NCAABB',  'basketball/mens-college-basketball'),
    ('NHL',     'hockey/nhl'),
    ('MLB',     'baseball/mlb');

-- Fallback only: the series seen in public repositories (reference/kalshi-api.md §8). Discovery
-- from GET /series?category=Sports adds the rest and refreshes these.
insert into game_series (series_ticker, league, kind, source) values
    ('KXNFLGAME',    'football/nfl',                       'moneyline', 'seed'),
    ('KXNFLSPREAD',  'football/nfl',                       'spread',    'seed'),
    ('KXNFLTOTAL',   'football/nfl',                       'total',     'seed'),
    ('KXNCAAFGAME',  'football/college-football',          'moneyline', 'seed'),
    ('KXNBAGAME',    'basketball/nba',                     'moneyline', 'seed'),
    ('KXNBASPREAD',  'basketball/nba',                     'spread',    'seed'),
    ('KXNBATOTAL',   'basketball/nba',                     'total',     'seed'),
    ('KXWNBAGAME',   'basketball/wnba',                    'moneyline', 'seed'),
    ('KXNCAAMBGAME', 'basketball/mens-college-basketball', 'moneyline', 'seed'),
    ('KXNHLGAME',    'hockey/nhl',                         'moneyline', 'seed'),
    ('KXMLBGAME',    'baseball/mlb',                       'moneyline', 'seed');

-- A provider's code for a team -> the ESPN team id, in one league, over a validity window.
-- `provider` says whose code it is: 'kalshi' (ticker codes), 'kalshi_target' (Kalshi's
-- structured-target UUIDs from custom_strike and milestones), and room for the history loaders
-- ('nflverse', 'fivethirtyeight', ...), which reuse this table for their own codes.
-- `source`: 'seed' (this migration), 'operator' (added by hand, see the README), 'learned' (the
-- linker found exactly one ESPN team with that abbreviation, or read a target off a matched market).
-- Validity: valid_from inclusive, valid_until exclusive, US-Eastern dates; null = open-ended.
-- For a (provider, league, code) with any row, only its rows count; a code with no row at all
-- falls back to ESPN's own abbreviation when exactly one ESPN team in that league has it.
create table team_aliases (
    id            bigint generated always as identity primary key,
    provider      text        not null default 'kalshi',
    league        text        not null,
    code          text        not null,
    espn_team_id  text        not null,
    valid_from    date,
    valid_until   date,
    source        text        not null check (source in ('seed', 'operator', 'learned')),
    note          text,
    evidence      jsonb,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    check (valid_until is null or valid_from is null or valid_from < valid_until)
);
create unique index team_aliases_key
    on team_aliases (provider, league, code, coalesce(valid_from, '-infinity'::date));
create index team_aliases_team on team_aliases (league, espn_team_id);

-- Where Kalshi's code differs from ESPN's abbreviation (issue 10 §1). Ids are ESPN's team ids
-- (`…/{sport}/{league}/teams`). Codes equal to ESPN's abbreviation need no row.
insert into team_aliases (provider, league, code, espn_team_id, valid_from, valid_until, source, note) values
    ('kalshi', 'football/nfl', 'JAC', '30', null, null, 'seed', 'Jacksonville Jaguars; ESPN JAX'),
    ('kalshi', 'football/nfl', 'WAS', '28', null, null, 'seed', 'Washington Commanders; ESPN WSH'),
    ('kalshi', 'football/nfl', 'LA',  '14', null, null, 'seed', 'Los Angeles Rams; ESPN LAR (LA is the Kings in the NHL)'),
    ('kalshi', 'basketball/nba', 'GSW', '9',  null, null, 'seed', 'Golden State Warriors; ESPN GS'),
    ('kalshi', 'basketball/nba', 'SAS', '24', null, null, 'seed', 'San Antonio Spurs; ESPN SA'),
    ('kalshi', 'basketball/nba', 'NOP', '3',  null, null, 'seed', 'New Orleans Pelicans; ESPN NO'),
    ('kalshi', 'basketball/nba', 'NYK', '18', null, null, 'seed', 'New York Knicks; ESPN NY'),
    ('kalshi', 'basketball/nba', 'UTA', '26', null, null, 'seed', 'Utah Jazz; ESPN UTAH'),
    ('kalshi', 'baseball/mlb', 'ARI', '29', null, '2026-01-01', 'seed', 'Arizona Diamondbacks, Kalshi code through 2025'),
    ('kalshi', 'baseball/mlb', 'AZ',  '29', '2026-01-01', null, 'seed', 'Arizona Diamondbacks, Kalshi code from 2026'),
    ('kalshi', 'baseball/mlb', 'CWS', '4',  null, null, 'seed', 'Chicago White Sox; ESPN CHW'),
    ('kalshi', 'baseball/mlb', 'ATH', '11', null, null, 'seed', 'Athletics'),
    ('kalshi', 'hockey/nhl', 'LA', '8', null, null, 'seed', 'Los Angeles Kings (LA is the Rams in the NFL)'),
    ('kalshi', 'football/college-football', 'MIZZ', '142', null, null, 'seed', 'Missouri Tigers; ESPN MIZ'),
    ('kalshi', 'basketball/mens-college-basketball', 'MIZZ', '142', null, null, 'seed', 'Missouri Tigers; ESPN MIZ');

-- Kalshi's milestones (reference §3.9, §8): kick-off time and home/away structured-target ids per
-- game event, collected with GET /events?with_milestones=true for game-series events.
create table kalshi_milestones (
    id                     text primary key,
    category               text,
    type                   text,
    start_date             timestamptz,
    end_date               timestamptz,
    title                  text,
    primary_event_tickers  text[]      not null default '{}',
    related_event_tickers  text[]      not null default '{}',
    details                jsonb,
    last_updated_ts        timestamptz,
    raw                    jsonb       not null,
    first_seen_at          timestamptz not null default now(),
    updated_at             timestamptz not null default now()
);
create index kalshi_milestones_primary on kalshi_milestones using gin (primary_event_tickers);
create index kalshi_milestones_related on kalshi_milestones using gin (related_event_tickers);

-- When milestones were last asked for an event (null: never), so each event is asked once.
alter table events add column if not exists milestones_fetched_at timestamptz;

-- One row per market of a game series, matched or not: unmatched and ambiguous markets are rows
-- too, never dropped. Rewritten only when the linker's result differs (a relink with nothing
-- changed writes nothing).
create table game_links (
    ticker           text primary key,
    event_ticker     text        not null,
    series_ticker    text        not null,
    league           text        not null,
    kind             text        not null check (kind in ('moneyline', 'spread', 'total', 'other')),
    espn_event_id    text,                   -- null unless matched/verified
    -- Which side YES is, from ESPN's homeAway of the YES team's id (never the ticker position);
    -- 'over' for a total's YES. Null when unknown.
    yes_side         text        check (yes_side in ('home', 'away', 'over', 'under')),
    yes_team_code    text,                   -- the Kalshi code YES names (moneyline, spread)
    yes_team_id      text,                   -- its ESPN team id
    -- Moneyline: null. Spread: the points the YES team must win by. Total: the total. Always the
    -- market's floor_strike, never digits of the ticker.
    line             numeric,
    status           text        not null check (status in
                         ('matched', 'verified', 'ambiguous', 'unmatched', 'cancelled', 'not_a_game')),
    reason           text        not null,   -- one sentence: why this status
    -- The candidates considered (games with their teams, start, status), the team-block splits,
    -- milestone data, the market's custom_strike.
    evidence         jsonb       not null,
    -- [{"check": "...", "ok": true|false, "severity": "info|warning|error", "detail": "..."}]:
    -- away-first order, both moneylines cover both teams, settlement agrees with ESPN's final.
    checks           jsonb       not null default '[]',
    -- A check failed loudly (e.g. the market that resolved YES is not ESPN's winner).
    flagged          boolean     not null default false,
    event_date       date,                   -- the ticker's US-Eastern date
    -- When the link could first have been known: the latest of the market's first_seen_at, the
    -- matched game's first_seen_at and the created_at of any non-seed alias used (docs/linking.md).
    knowable_at      timestamptz not null,
    -- When `verified` became knowable: the later of the market's determined_at and the game's final.
    verified_at      timestamptz,
    matcher_version  integer     not null,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
-- The markets of a game.
create index game_links_game on game_links (espn_event_id, kind, ticker) where espn_event_id is not null;
create index game_links_event on game_links (event_ticker);
-- What the linker relinks when a game changes: the links of that league around its date.
create index game_links_league_date on game_links (league, event_date);
-- What an operator lists: unmatched/ambiguous by league and series, keyset on ticker.
create index game_links_status on game_links (status, league, series_ticker, ticker);

-- The linker's watermarks ('changes': games/markets/aliases changed after this were not linked
-- yet; 'series_discovery': the last GET /series?category=Sports).
create table linker_state (
    key        text primary key,
    at         timestamptz not null,
    updated_at timestamptz not null default now()
);

-- What the incremental linker reads: rows changed since its watermark.
create index if not exists games_updated on games (updated_at);
create index if not exists markets_updated on markets (updated_at);
