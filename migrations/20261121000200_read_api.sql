-- read-api: the two database roles (read-only for the API, writer for the collectors) and the
-- indexes behind the API's keyset pages. See infra/database-roles.md for giving the roles a
-- password and LOGIN: a migration must never carry a secret, so both roles are created NOLOGIN.

-- Roles are cluster-wide, so creation is guarded: it runs once per cluster, and it is skipped
-- (with a notice) when the migrating user may not create roles — the DBA then creates them by hand
-- with infra/database-roles.md and re-running the grants below is harmless.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'precog_read') then
        if exists (select 1 from pg_roles where rolname = current_user and (rolsuper or rolcreaterole)) then
            create role precog_read nologin;
            -- A runaway API query must not hold a connection for long.
            alter role precog_read set statement_timeout = '15s';
        else
            raise notice 'precog_read not created: % may not create roles (see infra/database-roles.md)', current_user;
        end if;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'precog_write') then
        if exists (select 1 from pg_roles where rolname = current_user and (rolsuper or rolcreaterole)) then
            create role precog_write nologin;
        else
            raise notice 'precog_write not created: % may not create roles (see infra/database-roles.md)', current_user;
        end if;
    end if;
end
$$;

-- Grants on what exists now and, through default privileges, on every table a later migration
-- creates (migrations run as the same owner, so its defaults apply to them).
do $$
declare
    db text := current_database();
begin
    if exists (select 1 from pg_roles where rolname = 'precog_read') then
        execute format('grant connect on database %I to precog_read', db);
        grant usage on schema public to precog_read;
        grant select on all tables in schema public to precog_read;
        alter default privileges in schema public grant select on tables to precog_read;
    end if;
    if exists (select 1 from pg_roles where rolname = 'precog_write') then
        execute format('grant connect on database %I to precog_write', db);
        grant usage on schema public to precog_write;
        grant select, insert, update, delete on all tables in schema public to precog_write;
        grant usage, select on all sequences in schema public to precog_write;
        alter default privileges in schema public
            grant select, insert, update, delete on tables to precog_write;
        alter default privileges in schema public grant usage, select on sequences to precog_write;
    end if;
end
$$;

-- /health: the last successful run per function, without reading failed and skipped rows.
create index if not exists collection_runs_ok_function_started
    on collection_runs (function, started_at desc) where status = 'ok';
-- /api/v1/runs without a function filter: newest first, keyset on (started_at, id).
create index if not exists collection_runs_started_id on collection_runs (started_at desc, id desc);

-- /api/v1/trades and /positions: newest first within one execution environment.
create index if not exists trades_environment_executed
    on trades (execution_environment, executed_at desc, id desc);
create index if not exists positions_environment_opened
    on positions (execution_environment, opened_at desc, id desc);

-- Latest snapshot per market: markets.last_snapshot_at names the row, and the snapshots primary
-- key (ticker, observed_at, source) finds it in one index probe; no history scan, no extra index.

-- /api/v1/games?state=in (live games) and the default newest-first listing. The latest state per
-- game comes from games.last_state_at through the game_states primary key, like markets.
create index if not exists games_state_start on games (status_state, scheduled_start desc);
