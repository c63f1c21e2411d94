-- Sports history for training (issue 14; ADR-107 names the three tables): past games, betting
-- lines and Elo ratings, loaded from public files by load-history and kept current by its Elo
-- computation. docs/sports-history.md explains the sources and the rules.
--
-- Teams: every source's team code is resolved to one franchise id per league, which is ESPN's
-- team id, through the linker's `team_aliases` table (migration 20261201000100). The history
-- loaders add their own providers there ('nflverse', 'fivethirtyeight', 'espn'); rows with
-- validity windows handle codes whose meaning changed (538's NFL STL: the Cardinals until 1987,
-- the Rams 1995-2015). Provider 'espn' lists ESPN's own abbreviations, so a code equal to ESPN's
-- resolves without the `games` table having seen the team.

-- One game as one source published it. The natural key is the source's own game id (nflverse's
-- `game_id`, never its `old_game_id`, which repeats; ESPN's event id; CollegeBasketballData's
-- game id; for FiveThirtyEight, which has none, date + home + away + game number), so a
-- rescheduled game is the same row with a new date, and a future game (blank scores) is updated
-- in place when played. The same real game may come from several sources; the Elo computation
-- picks one per (date, teams, game_number) by source preference.
create table historical_games (
    id               bigint generated always as identity primary key,
    league           text        not null,   -- ESPN `sport/league`, as games.league
    source           text        not null check (source in ('nflverse', 'espn_schedule', 'cbbd', 'fivethirtyeight')),
    source_game_id   text        not null,
    season           integer     not null,
    -- The source's word for the part of the season (nflverse REG/WC/DIV/CON/SB, ESPN 1/2/3, ...).
    season_type      text,
    week             integer,
    playoff          boolean     not null default false,
    game_date        date        not null,   -- US-Eastern
    -- 1 for the first game two teams play on a date, 2 for a doubleheader's second (MLB).
    game_number      smallint    not null default 1 check (game_number between 1 and 9),
    scheduled_start  timestamptz,            -- null when the source gives no time (nflverse 1999)
    neutral          boolean,
    home_team_code   text        not null,   -- as the source spells it
    away_team_code   text        not null,
    home_team_id     text,                   -- the franchise: ESPN team id, null when unmapped
    away_team_id     text,
    home_score       integer,                -- null until played
    away_score       integer,
    espn_event_id    text,                   -- links to games when the source knows it
    raw              jsonb       not null,   -- the source row, column name -> text
    raw_md5          text        not null,   -- what a re-run compares: unchanged rows are not rewritten
    first_seen_at    timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    unique (league, source, source_game_id)
);
create index historical_games_season on historical_games (league, season, game_date, id);
create index historical_games_espn on historical_games (espn_event_id) where espn_event_id is not null;

-- Betting lines, long: one row per game, provider, market, side and phase. Every spread is the
-- side's line in the betting convention (negative = that side favoured), whatever the source's
-- convention; the home row is "the home team's line". Prices are American odds.
create table historical_odds (
    id                  bigint generated always as identity primary key,
    historical_game_id  bigint      not null references historical_games (id) on delete cascade,
    -- The bookmaker as the source names it; 'unknown' when the source leaves it null (the key
    -- needs a value), 'nflverse' for nflverse's unattributed consensus lines.
    provider            text        not null,
    market              text        not null check (market in ('moneyline', 'spread', 'total')),
    side                text        not null check (side in ('home', 'away', 'over', 'under')),
    phase               text        not null check (phase in ('open', 'close', 'unknown')),
    line                numeric,                -- spread: the side's points; total: the total; moneyline: null
    price               numeric,                -- American odds, e.g. -110
    -- The spread's sign disagrees with the same row's moneylines (the favourite by one is the
    -- underdog by the other). Kept, never corrected.
    flagged             boolean     not null default false,
    flag_reason         text,
    source              text        not null,   -- the game source it came with (nflverse, cbbd)
    -- The provider's own source row where it is not the game's (CBBD: one row per provider);
    -- null when the line is a column of the game's row (nflverse: see historical_games.raw).
    raw                 jsonb,
    first_seen_at       timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (historical_game_id, provider, market, side, phase)
);

-- Elo ratings, one row per team per game: FiveThirtyEight's published values (source
-- 'fivethirtyeight') or our own computation from historical_games (source 'computed', with the
-- parameters used in `params`).
create table historical_elo (
    id                  bigint generated always as identity primary key,
    league              text        not null,
    source              text        not null check (source in ('fivethirtyeight', 'computed')),
    season              integer     not null,
    game_date           date        not null,
    game_number         smallint    not null default 1,
    -- The franchise: ESPN team id when known, otherwise the source's code (never both spellings
    -- for one team: a code is only used when it maps to no id).
    team_key            text        not null,
    team_code           text        not null,   -- as the source spells it
    opponent_key        text        not null,
    is_home             boolean,                -- null at a neutral site
    elo_pre             numeric     not null,
    elo_post            numeric,                -- null for a game not yet played
    win_probability     numeric,
    historical_game_id  bigint      references historical_games (id) on delete set null,
    -- The parameters of a computed rating (EloParams); null for published ones, whose source
    -- row is the game's raw.
    params              jsonb,
    first_seen_at       timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (league, source, team_key, game_date, game_number)
);
create index historical_elo_season on historical_elo (league, season, source, game_date, id);
create index historical_elo_game on historical_elo (historical_game_id) where historical_game_id is not null;

-- What the training export joins: per ESPN event, each side's pre-game Elo (published where it
-- exists, else computed) and the closing line (home spread, total, moneylines), one provider
-- chosen by name order among those with a closing spread.
create view historical_game_context as
select g.espn_event_id,
       g.league,
       g.season,
       g.game_date,
       g.id as historical_game_id,
       he.elo_pre as home_elo_pre,
       ae.elo_pre as away_elo_pre,
       he.source  as elo_source,
       close.provider as line_provider,
       close.home_spread,
       close.total,
       close.home_moneyline,
       close.away_moneyline
  from historical_games g
  left join lateral (
      select e.elo_pre, e.source from historical_elo e
       where e.league = g.league and e.game_date = g.game_date and e.game_number = g.game_number
         and e.team_key = coalesce(g.home_team_id, g.home_team_code)
       order by (e.source = 'fivethirtyeight') desc limit 1) he on true
  left join lateral (
      select e.elo_pre from historical_elo e
       where e.league = g.league and e.game_date = g.game_date and e.game_number = g.game_number
         and e.team_key = coalesce(g.away_team_id, g.away_team_code)
         and e.source = he.source
       limit 1) ae on true
  left join lateral (
      select o.provider,
             max(o.line)  filter (where o.market = 'spread' and o.side = 'home') as home_spread,
             max(o.line)  filter (where o.market = 'total' and o.side = 'over') as total,
             max(o.price) filter (where o.market = 'moneyline' and o.side = 'home') as home_moneyline,
             max(o.price) filter (where o.market = 'moneyline' and o.side = 'away') as away_moneyline
        from historical_odds o
       where o.historical_game_id = g.id and o.phase = 'close'
       group by o.provider
       order by (max(o.line) filter (where o.market = 'spread' and o.side = 'home') is null), o.provider
       limit 1) close on true
 where g.espn_event_id is not null;

-- Franchises as ESPN knows them (provider 'espn': ESPN's abbreviation -> ESPN team id), so
-- every history source resolves without `games` having seen the team.
insert into team_aliases (provider, league, code, espn_team_id, source, note) values
    ('espn', 'football/nfl', 'ATL', '1', 'seed', null),  ('espn', 'football/nfl', 'BUF', '2', 'seed', null),
    ('espn', 'football/nfl', 'CHI', '3', 'seed', null),  ('espn', 'football/nfl', 'CIN', '4', 'seed', null),
    ('espn', 'football/nfl', 'CLE', '5', 'seed', null),  ('espn', 'football/nfl', 'DAL', '6', 'seed', null),
    ('espn', 'football/nfl', 'DEN', '7', 'seed', null),  ('espn', 'football/nfl', 'DET', '8', 'seed', null),
    ('espn', 'football/nfl', 'GB', '9', 'seed', null),   ('espn', 'football/nfl', 'TEN', '10', 'seed', null),
    ('espn', 'football/nfl', 'IND', '11', 'seed', null), ('espn', 'football/nfl', 'KC', '12', 'seed', null),
    ('espn', 'football/nfl', 'LV', '13', 'seed', 'Raiders (Oakland until 2019)'),
    ('espn', 'football/nfl', 'LAR', '14', 'seed', 'Rams (St. Louis 1995-2015)'),
    ('espn', 'football/nfl', 'MIA', '15', 'seed', null), ('espn', 'football/nfl', 'MIN', '16', 'seed', null),
    ('espn', 'football/nfl', 'NE', '17', 'seed', null),  ('espn', 'football/nfl', 'NO', '18', 'seed', null),
    ('espn', 'football/nfl', 'NYG', '19', 'seed', null), ('espn', 'football/nfl', 'NYJ', '20', 'seed', null),
    ('espn', 'football/nfl', 'PHI', '21', 'seed', null), ('espn', 'football/nfl', 'ARI', '22', 'seed', null),
    ('espn', 'football/nfl', 'PIT', '23', 'seed', null),
    ('espn', 'football/nfl', 'LAC', '24', 'seed', 'Chargers (San Diego until 2016)'),
    ('espn', 'football/nfl', 'SF', '25', 'seed', null),  ('espn', 'football/nfl', 'SEA', '26', 'seed', null),
    ('espn', 'football/nfl', 'TB', '27', 'seed', null),  ('espn', 'football/nfl', 'WSH', '28', 'seed', null),
    ('espn', 'football/nfl', 'CAR', '29', 'seed', null), ('espn', 'football/nfl', 'JAX', '30', 'seed', null),
    ('espn', 'football/nfl', 'BAL', '33', 'seed', null), ('espn', 'football/nfl', 'HOU', '34', 'seed', null),
    ('espn', 'basketball/nba', 'ATL', '1', 'seed', null),  ('espn', 'basketball/nba', 'BOS', '2', 'seed', null),
    ('espn', 'basketball/nba', 'NO', '3', 'seed', null),   ('espn', 'basketball/nba', 'CHI', '4', 'seed', null),
    ('espn', 'basketball/nba', 'CLE', '5', 'seed', null),  ('espn', 'basketball/nba', 'DAL', '6', 'seed', null),
    ('espn', 'basketball/nba', 'DEN', '7', 'seed', null),  ('espn', 'basketball/nba', 'DET', '8', 'seed', null),
    ('espn', 'basketball/nba', 'GS', '9', 'seed', null),   ('espn', 'basketball/nba', 'HOU', '10', 'seed', null),
    ('espn', 'basketball/nba', 'IND', '11', 'seed', null), ('espn', 'basketball/nba', 'LAC', '12', 'seed', null),
    ('espn', 'basketball/nba', 'LAL', '13', 'seed', null), ('espn', 'basketball/nba', 'MIA', '14', 'seed', null),
    ('espn', 'basketball/nba', 'MIL', '15', 'seed', null), ('espn', 'basketball/nba', 'MIN', '16', 'seed', null),
    ('espn', 'basketball/nba', 'BKN', '17', 'seed', null), ('espn', 'basketball/nba', 'NY', '18', 'seed', null),
    ('espn', 'basketball/nba', 'ORL', '19', 'seed', null), ('espn', 'basketball/nba', 'PHI', '20', 'seed', null),
    ('espn', 'basketball/nba', 'PHX', '21', 'seed', null), ('espn', 'basketball/nba', 'POR', '22', 'seed', null),
    ('espn', 'basketball/nba', 'SAC', '23', 'seed', null), ('espn', 'basketball/nba', 'SA', '24', 'seed', null),
    ('espn', 'basketball/nba', 'OKC', '25', 'seed', null), ('espn', 'basketball/nba', 'UTAH', '26', 'seed', null),
    ('espn', 'basketball/nba', 'WSH', '27', 'seed', null), ('espn', 'basketball/nba', 'TOR', '28', 'seed', null),
    ('espn', 'basketball/nba', 'MEM', '29', 'seed', null), ('espn', 'basketball/nba', 'CHA', '30', 'seed', null),
    ('espn', 'baseball/mlb', 'BAL', '1', 'seed', null),  ('espn', 'baseball/mlb', 'BOS', '2', 'seed', null),
    ('espn', 'baseball/mlb', 'LAA', '3', 'seed', null),  ('espn', 'baseball/mlb', 'CHW', '4', 'seed', null),
    ('espn', 'baseball/mlb', 'CLE', '5', 'seed', null),  ('espn', 'baseball/mlb', 'DET', '6', 'seed', null),
    ('espn', 'baseball/mlb', 'KC', '7', 'seed', null),   ('espn', 'baseball/mlb', 'MIL', '8', 'seed', null),
    ('espn', 'baseball/mlb', 'MIN', '9', 'seed', null),  ('espn', 'baseball/mlb', 'NYY', '10', 'seed', null),
    ('espn', 'baseball/mlb', 'ATH', '11', 'seed', 'Athletics (Oakland until 2024)'),
    ('espn', 'baseball/mlb', 'SEA', '12', 'seed', null), ('espn', 'baseball/mlb', 'TEX', '13', 'seed', null),
    ('espn', 'baseball/mlb', 'TOR', '14', 'seed', null), ('espn', 'baseball/mlb', 'ATL', '15', 'seed', null),
    ('espn', 'baseball/mlb', 'CHC', '16', 'seed', null), ('espn', 'baseball/mlb', 'CIN', '17', 'seed', null),
    ('espn', 'baseball/mlb', 'HOU', '18', 'seed', null), ('espn', 'baseball/mlb', 'LAD', '19', 'seed', null),
    ('espn', 'baseball/mlb', 'WSH', '20', 'seed', null), ('espn', 'baseball/mlb', 'NYM', '21', 'seed', null),
    ('espn', 'baseball/mlb', 'PHI', '22', 'seed', null), ('espn', 'baseball/mlb', 'PIT', '23', 'seed', null),
    ('espn', 'baseball/mlb', 'STL', '24', 'seed', null), ('espn', 'baseball/mlb', 'SD', '25', 'seed', null),
    ('espn', 'baseball/mlb', 'SF', '26', 'seed', null),  ('espn', 'baseball/mlb', 'COL', '27', 'seed', null),
    ('espn', 'baseball/mlb', 'MIA', '28', 'seed', null), ('espn', 'baseball/mlb', 'ARI', '29', 'seed', null),
    ('espn', 'baseball/mlb', 'TB', '30', 'seed', null);

-- Where a history source's code differs from ESPN's (or means different teams over time).
-- Validity: valid_from inclusive, valid_until exclusive, US-Eastern dates (a March 1 boundary
-- falls between two NFL seasons).
insert into team_aliases (provider, league, code, espn_team_id, valid_from, valid_until, source, note) values
    -- nflverse
    ('nflverse', 'football/nfl', 'LA',  '14', null, null, 'seed', 'Rams; nflverse LA, ESPN LAR'),
    ('nflverse', 'football/nfl', 'STL', '14', null, null, 'seed', 'St. Louis Rams (nflverse starts in 1999)'),
    ('nflverse', 'football/nfl', 'OAK', '13', null, null, 'seed', 'Oakland Raiders, now LV'),
    ('nflverse', 'football/nfl', 'SD',  '24', null, null, 'seed', 'San Diego Chargers, now LAC'),
    ('nflverse', 'football/nfl', 'WAS', '28', null, null, 'seed', 'Washington; ESPN WSH'),
    -- FiveThirtyEight NFL: franchise codes, STL and HOU mean different franchises by era.
    ('fivethirtyeight', 'football/nfl', 'STL', '22', null, '1988-03-01', 'seed', 'St. Louis Cardinals (1960-1987), now ARI'),
    ('fivethirtyeight', 'football/nfl', 'STL', '14', '1995-03-01', '2016-03-01', 'seed', 'St. Louis Rams (1995-2015), now LAR'),
    ('fivethirtyeight', 'football/nfl', 'HOU', '10', null, '1997-03-01', 'seed', 'Houston Oilers, now TEN'),
    ('fivethirtyeight', 'football/nfl', 'HOU', '34', '2002-03-01', null, 'seed', 'Houston Texans'),
    ('fivethirtyeight', 'football/nfl', 'OAK', '13', null, null, 'seed', 'Raiders'),
    ('fivethirtyeight', 'football/nfl', 'SD',  '24', null, null, 'seed', 'San Diego Chargers, now LAC'),
    ('fivethirtyeight', 'football/nfl', 'LA',  '14', null, null, 'seed', 'Rams'),
    -- FiveThirtyEight NBA (basketball-reference codes)
    ('fivethirtyeight', 'basketball/nba', 'PHO', '21', null, null, 'seed', 'Phoenix Suns; ESPN PHX'),
    ('fivethirtyeight', 'basketball/nba', 'BRK', '17', null, null, 'seed', 'Brooklyn Nets; ESPN BKN'),
    ('fivethirtyeight', 'basketball/nba', 'NJN', '17', null, null, 'seed', 'New Jersey Nets, now BKN'),
    ('fivethirtyeight', 'basketball/nba', 'CHO', '30', null, null, 'seed', 'Charlotte Hornets (2014-); ESPN CHA'),
    ('fivethirtyeight', 'basketball/nba', 'CHA', '30', null, null, 'seed', 'Charlotte Bobcats, now CHA'),
    ('fivethirtyeight', 'basketball/nba', 'GSW', '9',  null, null, 'seed', 'Golden State; ESPN GS'),
    ('fivethirtyeight', 'basketball/nba', 'NOP', '3',  null, null, 'seed', 'New Orleans; ESPN NO'),
    ('fivethirtyeight', 'basketball/nba', 'NOH', '3',  null, null, 'seed', 'New Orleans Hornets, now NO'),
    ('fivethirtyeight', 'basketball/nba', 'NOK', '3',  null, null, 'seed', 'New Orleans/Oklahoma City Hornets, now NO'),
    ('fivethirtyeight', 'basketball/nba', 'NYK', '18', null, null, 'seed', 'New York Knicks; ESPN NY'),
    ('fivethirtyeight', 'basketball/nba', 'SAS', '24', null, null, 'seed', 'San Antonio; ESPN SA'),
    ('fivethirtyeight', 'basketball/nba', 'UTA', '26', null, null, 'seed', 'Utah Jazz; ESPN UTAH'),
    ('fivethirtyeight', 'basketball/nba', 'WAS', '27', null, null, 'seed', 'Washington; ESPN WSH'),
    ('fivethirtyeight', 'basketball/nba', 'SEA', '25', null, null, 'seed', 'Seattle SuperSonics, now OKC'),
    ('fivethirtyeight', 'basketball/nba', 'VAN', '29', null, null, 'seed', 'Vancouver Grizzlies, now MEM'),
    -- FiveThirtyEight MLB
    ('fivethirtyeight', 'baseball/mlb', 'ANA', '3',  null, null, 'seed', 'Angels; ESPN LAA'),
    ('fivethirtyeight', 'baseball/mlb', 'FLA', '28', null, null, 'seed', 'Florida Marlins, now MIA'),
    ('fivethirtyeight', 'baseball/mlb', 'KCR', '7',  null, null, 'seed', 'Kansas City; ESPN KC'),
    ('fivethirtyeight', 'baseball/mlb', 'SDP', '25', null, null, 'seed', 'San Diego; ESPN SD'),
    ('fivethirtyeight', 'baseball/mlb', 'SFG', '26', null, null, 'seed', 'San Francisco; ESPN SF'),
    ('fivethirtyeight', 'baseball/mlb', 'TBD', '30', null, null, 'seed', 'Tampa Bay; ESPN TB'),
    ('fivethirtyeight', 'baseball/mlb', 'WSN', '20', null, null, 'seed', 'Washington; ESPN WSH'),
    ('fivethirtyeight', 'baseball/mlb', 'MON', '20', null, null, 'seed', 'Montreal Expos, now WSH'),
    ('fivethirtyeight', 'baseball/mlb', 'OAK', '11', null, null, 'seed', 'Oakland Athletics, now ATH');
