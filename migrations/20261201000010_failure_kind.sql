-- Why a failed run failed, so an operator can tell an upstream outage from a defect without
-- reading the error text: 'upstream' (Kalshi or ESPN unreachable, failing or unreadable),
-- 'database', 'bad_input', or 'bug' (a panic, an overrun deadline, a query that does not match
-- the schema). Null for runs that did not fail and for runs recorded before this column.
alter table collection_runs
    add column failure_kind text
    check (failure_kind in ('upstream', 'database', 'bad_input', 'bug'));
