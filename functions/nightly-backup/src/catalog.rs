//! What to back up, read from PostgreSQL's catalog rather than a list in the code: other
//! functions add tables, and a backup that silently skipped one would be worse than none.
//!
//! So the SQL on the backed-up tables (COPY, chunk filters, deletes) is built at run time from
//! the names and columns found here; only the queries on the catalog itself are compile-checked.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sqlx::PgConnection;

use crate::manifest::{Chunk, Column, SequenceValue};

/// Tables that are bookkeeping of the tools themselves, not data.
pub const EXCLUDED: &[&str] = &["_sqlx_migrations", RESTORE_STATE_TABLE];

/// Created by a restore in its target: which chunk of which table it holds (see `restore.rs`).
pub const RESTORE_STATE_TABLE: &str = "precog_restore_state";

/// Time-series tables are chunked by day on the first of these `timestamptz` columns they have.
pub const CHUNK_COLUMNS: &[&str] = &["observed_at"];

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub chunk_column: Option<String>,
}

/// Quotes an identifier for SQL.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Table {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The rows of `chunk` as a WHERE clause (`true` for the whole table).
    pub fn chunk_filter(&self, chunk: Chunk) -> String {
        match (chunk, &self.chunk_column) {
            (Chunk::All, _) | (_, None) => "true".to_owned(),
            (Chunk::Null, Some(col)) => format!("{} is null", ident(col)),
            (Chunk::Day(day), Some(col)) => {
                let start = Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN));
                let end = start + Duration::days(1);
                format!(
                    "{c} >= '{}' and {c} < '{}'",
                    start.to_rfc3339(),
                    end.to_rfc3339(),
                    c = ident(col)
                )
            }
        }
    }

    /// `COPY (SELECT …) TO STDOUT`: a SELECT rather than the table so a TimescaleDB hypertable
    /// yields its chunks' rows (COPY of a hypertable's parent returns none).
    pub fn copy_out_sql(&self, chunk: Chunk) -> String {
        format!(
            "copy (select {} from {} where {}) to stdout",
            self.column_list(),
            ident(&self.name),
            self.chunk_filter(chunk)
        )
    }

    /// As [`Table::copy_out_sql`], the rows ordered by `first` then the chunk column.
    pub fn copy_out_sql_ordered(&self, chunk: Chunk, first: &str) -> String {
        let then = self
            .chunk_column
            .as_deref()
            .map(|c| format!(", {}", ident(c)))
            .unwrap_or_default();
        format!(
            "copy (select {} from {} where {} order by {}{then}) to stdout",
            self.column_list(),
            ident(&self.name),
            self.chunk_filter(chunk),
            ident(first)
        )
    }

    pub fn copy_in_sql(&self) -> String {
        format!(
            "copy {} ({}) from stdin",
            ident(&self.name),
            self.column_list()
        )
    }

    pub fn delete_sql(&self, chunk: Chunk) -> String {
        format!(
            "delete from {} where {}",
            ident(&self.name),
            self.chunk_filter(chunk)
        )
    }
}

/// The base and partitioned tables of the `public` schema, with their stored columns.
pub async fn tables(conn: &mut PgConnection) -> sqlx::Result<Vec<Table>> {
    // language=PostgreSQL
    let names = sqlx::query_scalar!(
        r#"select c.relname::text as "name!" from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
            order by c.relname"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for name in names {
        if EXCLUDED.contains(&name.as_str()) {
            continue;
        }
        let columns = columns(conn, &name).await?;
        let chunk_column = CHUNK_COLUMNS
            .iter()
            .find(|c| {
                columns
                    .iter()
                    .any(|col| col.name == **c && col.type_name == "timestamp with time zone")
            })
            .map(|c| (*c).to_owned());
        out.push(Table {
            name,
            columns,
            chunk_column,
        });
    }
    Ok(out)
}

/// Stored columns in order; generated columns are left out (PostgreSQL computes them again).
pub async fn columns(conn: &mut PgConnection, table: &str) -> sqlx::Result<Vec<Column>> {
    // language=PostgreSQL
    sqlx::query_as!(
        Column,
        r#"select a.attname::text as "name!", format_type(a.atttypid, a.atttypmod) as "type_name!"
             from pg_attribute a
            where a.attrelid = ('public.' || quote_ident($1))::regclass
              and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            order by a.attnum"#,
        table
    )
    .fetch_all(conn)
    .await
}

/// The UTC days on which `column` has values, found by walking an index one day at a time
/// (`min(col) where col >= next day`) instead of scanning the table.
pub async fn days(conn: &mut PgConnection, table: &Table) -> sqlx::Result<Vec<Chunk>> {
    let Some(col) = &table.chunk_column else {
        return Ok(vec![Chunk::All]);
    };
    // Runtime SQL here: the table and its chunk column come from the catalog.
    let sql = format!(
        "select (min({c}) at time zone 'UTC')::date from {t} where {c} >= $1",
        c = ident(col),
        t = ident(&table.name)
    );
    let mut chunks = Vec::new();
    let mut from = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single();
    while let Some(start) = from {
        let day: Option<NaiveDate> = sqlx::query_scalar(&sql)
            .bind(start)
            .fetch_one(&mut *conn)
            .await?;
        let Some(day) = day else { break };
        chunks.push(Chunk::Day(day));
        from = day
            .succ_opt()
            .map(|next| Utc.from_utc_datetime(&next.and_time(chrono::NaiveTime::MIN)));
    }
    let has_nulls: bool = sqlx::query_scalar(&format!(
        "select exists(select 1 from {} where {} is null)",
        ident(&table.name),
        ident(col)
    ))
    .fetch_one(&mut *conn)
    .await?;
    if has_nulls {
        chunks.push(Chunk::Null);
    }
    Ok(chunks)
}

/// Applied migration versions, oldest first.
pub async fn migrations(conn: &mut PgConnection) -> sqlx::Result<Vec<i64>> {
    let exists = sqlx::query_scalar!(
        r#"select to_regclass('public._sqlx_migrations') is not null as "exists!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_scalar!("select version from _sqlx_migrations where success order by version")
        .fetch_all(conn)
        .await
}

/// Sequences of the public schema (identity and serial columns) with their current values.
pub async fn sequences(conn: &mut PgConnection) -> sqlx::Result<Vec<SequenceValue>> {
    sqlx::query_as!(
        SequenceValue,
        r#"select format('%I.%I', schemaname, sequencename) as "name!",
                  last_value as "last_value?"
             from pg_sequences where schemaname = 'public' order by 1"#
    )
    .fetch_all(conn)
    .await
}

pub async fn server_version(conn: &mut PgConnection) -> sqlx::Result<String> {
    sqlx::query_scalar!(r#"select current_setting('server_version') as "version!""#)
        .fetch_one(conn)
        .await
}

pub async fn timescaledb_version(conn: &mut PgConnection) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"select extversion::text as "version!" from pg_extension where extname = 'timescaledb'"#
    )
    .fetch_optional(conn)
    .await
}

/// A foreign key, to drop and re-create around a restore (so tables load in any order and the
/// constraint is checked once at the end, inside the same transaction).
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub table: String,
    pub name: String,
    pub definition: String,
}

pub async fn foreign_keys(conn: &mut PgConnection) -> sqlx::Result<Vec<ForeignKey>> {
    sqlx::query_as!(
        ForeignKey,
        r#"select c.conrelid::regclass::text as "table!", c.conname::text as "name!",
                  pg_get_constraintdef(c.oid) as "definition!"
             from pg_constraint c
            where c.contype = 'f' and c.connamespace = 'public'::regnamespace
            order by 1, 2"#
    )
    .fetch_all(conn)
    .await
}

/// An index (or the primary-key/unique constraint it backs), to drop before loading an empty
/// database and build once afterwards: one sorted build instead of millions of B-tree inserts,
/// the order pg_restore uses.
#[derive(Debug, Clone)]
pub struct Index {
    pub table: String,
    pub name: String,
    /// `Some(definition)` when a constraint owns the index (re-added with ALTER TABLE).
    pub constraint: Option<String>,
    /// `CREATE INDEX …` for a plain index.
    pub definition: String,
}

impl Index {
    pub fn drop_sql(&self) -> String {
        match self.constraint {
            Some(_) => format!(
                "alter table {} drop constraint {}",
                self.table,
                ident(&self.name)
            ),
            None => format!("drop index {}", ident(&self.name)),
        }
    }

    pub fn create_sql(&self) -> String {
        match &self.constraint {
            Some(definition) => format!(
                "alter table {} add constraint {} {definition}",
                self.table,
                ident(&self.name)
            ),
            None => self.definition.clone(),
        }
    }
}

/// The indexes of the public tables, constraints first when re-created in this order; `except`
/// names a table to leave alone.
pub async fn indexes(conn: &mut PgConnection, except: &str) -> sqlx::Result<Vec<Index>> {
    sqlx::query_as!(
        Index,
        r#"select i.indrelid::regclass::text as "table!", ic.relname::text as "name!",
                  pg_get_constraintdef(c.oid) as "constraint?",
                  pg_get_indexdef(i.indexrelid) as "definition!"
             from pg_index i
             join pg_class ic on ic.oid = i.indexrelid
             join pg_class t on t.oid = i.indrelid
             left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
            where t.relnamespace = 'public'::regnamespace and t.relkind = 'r'
              and t.relname::text <> $1
            order by (c.oid is null), 1, 2"#,
        except
    )
    .fetch_all(conn)
    .await
}

/// A trigger we made (not one PostgreSQL or an extension made), to drop before a restore loads
/// and re-create afterwards, as pg_restore does: the rows are loaded as the source stored them,
/// so an ingest trigger must not rework them; and any BEFORE ROW INSERT trigger, even a disabled
/// one, makes COPY insert row by row instead of in batches.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub table: String,
    pub name: String,
    /// `CREATE TRIGGER …`
    pub definition: String,
    /// `pg_trigger.tgenabled`: `O` fires normally, `D` disabled, `R` replica only, `A` always.
    pub enabled: String,
}

impl Trigger {
    pub fn drop_sql(&self) -> String {
        format!("drop trigger {} on {}", ident(&self.name), self.table)
    }

    /// `CREATE TRIGGER` makes an enabled trigger; the second statement, if any, restores another
    /// state.
    pub fn create_sql(&self) -> Vec<String> {
        let mut sql = vec![self.definition.clone()];
        let state = match self.enabled.as_str() {
            "D" => Some("disable trigger"),
            "R" => Some("enable replica trigger"),
            "A" => Some("enable always trigger"),
            _ => None,
        };
        if let Some(state) = state {
            sql.push(format!(
                "alter table {} {state} {}",
                self.table,
                ident(&self.name)
            ));
        }
        sql
    }
}

/// The triggers of the public tables but `except`, leaving out PostgreSQL's own (foreign keys),
/// partitions' clones of a parent's trigger, and those whose function belongs to an extension
/// (TimescaleDB's).
pub async fn triggers(conn: &mut PgConnection, except: &str) -> sqlx::Result<Vec<Trigger>> {
    sqlx::query_as!(
        Trigger,
        r#"select t.tgrelid::regclass::text as "table!", t.tgname::text as "name!",
                  pg_get_triggerdef(t.oid) as "definition!", t.tgenabled::text as "enabled!"
             from pg_trigger t
             join pg_class c on c.oid = t.tgrelid
            where c.relnamespace = 'public'::regnamespace and c.relname::text <> $1
              and not t.tgisinternal and t.tgparentid = 0
              and not exists (select 1 from pg_depend d
                               where d.classid = 'pg_proc'::regclass and d.objid = t.tgfoid
                                 and d.deptype = 'e')
            order by 1, 2"#,
        except
    )
    .fetch_all(conn)
    .await
}
