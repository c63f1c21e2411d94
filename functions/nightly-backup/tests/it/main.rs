//! One integration binary: real PostgreSQL (a source and target databases per test), a real S3
//! protocol server (moto, started here) and the folder destination.

mod backup_restore;
mod binary;
mod helpers;
mod parquet_decimal;
mod retention;
mod training_export;
mod training_history;
