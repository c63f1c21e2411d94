-- Games meet markets, as of any instant (issue 10 §3): SQL functions a user calls from psql, the
-- read-api's timeline and the training export read through. The rules, in every function:
--   * as of an instant t means the latest row observed at or before t: an equal timestamp counts,
--     a later row is never used, and neither is the "nearest" row when it lies in the future;
--   * only links that could have been known at t are used (game_links.knowable_at <= t), and
--     only matched or verified ones;
--   * each as-of lookup is one index probe: `order by observed_at desc limit 1` on the primary
--     keys market_snapshots (ticker, observed_at, source) and game_states (espn_event_id,
--     observed_at), through LATERAL.
-- A quote is null when the latest snapshot at or before t is older than the max age
-- (p_max_quote_age, default 65 minutes). collect-kalshi stores an unchanged market at least every
-- heartbeat_minutes (60 by default), so a market under collection always has a snapshot younger
-- than that; an older one means collection stopped and the quote is not known, not stale-but-true.
-- Game states get no max age: ESPN's state is stored only when it changes, and an unchanged state
-- stays true.

-- Every stored state of one game in [p_start, p_end), each with the quote of every linked market
-- knowable then (one row per state and market; a state with no knowable link gets one row with
-- the market columns null). Oldest first, then by ticker.
create function game_quotes_asof(
    p_espn_event_id text,
    p_start         timestamptz default '-infinity',
    p_end           timestamptz default 'infinity',
    p_max_quote_age interval    default interval '65 minutes'
) returns table (
    observed_at          timestamptz,
    status_state         text,
    period               integer,
    clock_seconds        numeric,
    display_clock        text,
    home_score           integer,
    away_score           integer,
    possession_team_id   text,
    down                 integer,
    distance             integer,
    yard_line            integer,
    home_win_probability numeric,
    away_win_probability numeric,
    ticker               text,
    kind                 text,
    yes_side             text,
    line                 numeric,
    link_status          text,
    quote_observed_at    timestamptz,
    quote_source         text,
    yes_bid              numeric,
    yes_ask              numeric,
    no_bid               numeric,
    no_ask               numeric,
    last_price           numeric,
    quote_age            interval
)
language sql stable
as $$
    select s.observed_at, s.status_state, s.period, s.clock_seconds, s.display_clock,
           s.home_score, s.away_score, s.possession_team_id, s.down, s.distance, s.yard_line,
           s.home_win_probability, s.away_win_probability,
           l.ticker, l.kind, l.yes_side, l.line, l.status,
           q.observed_at, q.source, q.yes_bid, q.yes_ask, q.no_bid, q.no_ask, q.last_price,
           s.observed_at - q.observed_at
      from game_states s
      left join game_links l
        on l.espn_event_id = s.espn_event_id
       and l.status in ('matched', 'verified')
       and l.knowable_at <= s.observed_at
      left join lateral (
            select ms.observed_at, ms.source, ms.yes_bid, ms.yes_ask, ms.no_bid, ms.no_ask,
                   ms.last_price
              from market_snapshots ms
             where ms.ticker = l.ticker
               and ms.observed_at <= s.observed_at
               and ms.observed_at >= s.observed_at - p_max_quote_age
             -- Ties at one instant (rest and websocket) go to the later source name, which is
             -- also the primary key's backward order: no sort.
             order by ms.observed_at desc, ms.source desc
             limit 1) q on true
     where s.espn_event_id = p_espn_event_id
       and s.observed_at >= p_start
       and s.observed_at < p_end
     order by s.observed_at, l.ticker
$$;

comment on function game_quotes_asof(text, timestamptz, timestamptz, interval) is
    'Every state of a game in [p_start, p_end) with each knowable linked market''s latest quote at or before it (null past p_max_quote_age).';

-- Every snapshot of one market in [p_start, p_end), with its link (when knowable at the
-- snapshot) and the linked game's state as of the snapshot. Oldest first.
create function market_game_asof(
    p_ticker text,
    p_start  timestamptz default '-infinity',
    p_end    timestamptz default 'infinity'
) returns table (
    observed_at          timestamptz,
    source               text,
    status               text,
    yes_bid              numeric,
    yes_ask              numeric,
    no_bid               numeric,
    no_ask               numeric,
    last_price           numeric,
    espn_event_id        text,
    kind                 text,
    yes_side             text,
    line                 numeric,
    link_status          text,
    state_observed_at    timestamptz,
    status_state         text,
    period               integer,
    clock_seconds        numeric,
    display_clock        text,
    home_score           integer,
    away_score           integer,
    home_win_probability numeric,
    away_win_probability numeric,
    state_age            interval
)
language sql stable
as $$
    select q.observed_at, q.source, q.status, q.yes_bid, q.yes_ask, q.no_bid, q.no_ask,
           q.last_price,
           l.espn_event_id, l.kind, l.yes_side, l.line, l.status,
           s.observed_at, s.status_state, s.period, s.clock_seconds, s.display_clock,
           s.home_score, s.away_score, s.home_win_probability, s.away_win_probability,
           q.observed_at - s.observed_at
      from market_snapshots q
      left join game_links l
        on l.ticker = q.ticker
       and l.status in ('matched', 'verified')
       and l.knowable_at <= q.observed_at
      left join lateral (
            select gs.observed_at, gs.status_state, gs.period, gs.clock_seconds,
                   gs.display_clock, gs.home_score, gs.away_score, gs.home_win_probability,
                   gs.away_win_probability
              from game_states gs
             where gs.espn_event_id = l.espn_event_id
               and gs.observed_at <= q.observed_at
             order by gs.observed_at desc
             limit 1) s on true
     where q.ticker = p_ticker
       and q.observed_at >= p_start
       and q.observed_at < p_end
     order by q.observed_at, q.source
$$;

comment on function market_game_asof(text, timestamptz, timestamptz) is
    'Every snapshot of a market in [p_start, p_end) with its knowable link and the linked game''s state at or before it.';

-- One game's timeline: its states in [p_start, p_end) (with p_interval, the last state of each
-- bucket of that length, buckets aligned to the Unix epoch), each with the home and away
-- moneyline markets' YES quotes as of the state and the market-implied home win probability.
-- p_limit rows at most (null: all). The read-api's /games/{id}/timeline and the training export
-- read through this.
--
-- implied_home_probability: from the YES mids ((bid + ask) / 2) of the two moneyline markets,
-- home_mid / (home_mid + away_mid), which removes the overround of the two prices; with only one
-- market's mid, that mid (home) or 1 − mid (away); null with neither. Rounded to 6 decimals.
create function game_timeline(
    p_espn_event_id text,
    p_start         timestamptz default '-infinity',
    p_end           timestamptz default 'infinity',
    p_interval      interval    default null,
    p_max_quote_age interval    default interval '65 minutes',
    p_limit         bigint      default null
) returns table (
    bucket                   timestamptz,
    observed_at              timestamptz,
    status_state             text,
    status_detail            text,
    period                   integer,
    clock_seconds            numeric,
    display_clock            text,
    home_score               integer,
    away_score               integer,
    possession_team_id       text,
    down                     integer,
    distance                 integer,
    yard_line                integer,
    home_win_probability     numeric,
    home_ticker              text,
    home_quote_at            timestamptz,
    home_yes_bid             numeric,
    home_yes_ask             numeric,
    away_ticker              text,
    away_quote_at            timestamptz,
    away_yes_bid             numeric,
    away_yes_ask             numeric,
    implied_home_probability numeric
)
language sql stable
as $$
    -- The game's home and away moneyline markets, resolved once (the first by ticker when the
    -- linker left more than one); each state then checks only that it could know them.
    with home as materialized (
        select gl.ticker, gl.knowable_at
          from game_links gl
         where gl.espn_event_id = p_espn_event_id and gl.kind = 'moneyline'
           and gl.yes_side = 'home' and gl.status in ('matched', 'verified')
         order by gl.ticker
         limit 1
    ),
    away as materialized (
        select gl.ticker, gl.knowable_at
          from game_links gl
         where gl.espn_event_id = p_espn_event_id and gl.kind = 'moneyline'
           and gl.yes_side = 'away' and gl.status in ('matched', 'verified')
         order by gl.ticker
         limit 1
    ),
    states as (
        select distinct on (b.bucket) b.bucket, s.*
          from game_states s
         cross join lateral (
               select case when p_interval is null then s.observed_at
                           else date_bin(p_interval, s.observed_at,
                                         timestamptz '1970-01-01 00:00:00+00') end as bucket) b
         where s.espn_event_id = p_espn_event_id
           and s.observed_at >= p_start
           and s.observed_at < p_end
         order by b.bucket, s.observed_at desc
         limit p_limit
    ),
    quoted as (
        select s.*, h.ticker as h_ticker, hq.observed_at as h_at, hq.yes_bid as h_bid,
               hq.yes_ask as h_ask, a.ticker as a_ticker, aq.observed_at as a_at,
               aq.yes_bid as a_bid, aq.yes_ask as a_ask,
               (hq.yes_bid + hq.yes_ask) / 2 as h_mid, (aq.yes_bid + aq.yes_ask) / 2 as a_mid
          from states s
          left join home h on h.knowable_at <= s.observed_at
          left join lateral (
                select ms.observed_at, ms.yes_bid, ms.yes_ask
                  from market_snapshots ms
                 where ms.ticker = h.ticker
                   and ms.observed_at <= s.observed_at
                   and ms.observed_at >= s.observed_at - p_max_quote_age
                 order by ms.observed_at desc, ms.source desc
                 limit 1) hq on true
          left join away a on a.knowable_at <= s.observed_at
          left join lateral (
                select ms.observed_at, ms.yes_bid, ms.yes_ask
                  from market_snapshots ms
                 where ms.ticker = a.ticker
                   and ms.observed_at <= s.observed_at
                   and ms.observed_at >= s.observed_at - p_max_quote_age
                 order by ms.observed_at desc, ms.source desc
                 limit 1) aq on true
    )
    select x.bucket, x.observed_at, x.status_state, x.status_detail, x.period, x.clock_seconds,
           x.display_clock, x.home_score, x.away_score, x.possession_team_id, x.down,
           x.distance, x.yard_line, x.home_win_probability,
           x.h_ticker, x.h_at, x.h_bid, x.h_ask, x.a_ticker, x.a_at, x.a_bid, x.a_ask,
           round(case
                   when x.h_mid is not null and x.a_mid is not null and x.h_mid + x.a_mid > 0
                     then x.h_mid / (x.h_mid + x.a_mid)
                   when x.h_mid is not null then x.h_mid
                   when x.a_mid is not null then 1 - x.a_mid
                 end, 6)
      from quoted x
     order by x.bucket
$$;

comment on function game_timeline(text, timestamptz, timestamptz, interval, interval, bigint) is
    'One game''s states (optionally the last per p_interval bucket) with the home and away moneyline YES quotes as of each and the market-implied home probability.';
