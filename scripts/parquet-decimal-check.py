#!/usr/bin/env python3
"""Shows how pandas and DuckDB read Precog's Parquet files: each NUMERIC column's type and a value.

    .venv/bin/python scripts/parquet-decimal-check.py backups/<id>/parquet/market_snapshots/*.parquet

Needs pyarrow, pandas and duckdb (pip install pyarrow pandas duckdb). Exits 1 when a column that
holds prices in PostgreSQL does not come back as a decimal, so it can serve as a check.
"""
import decimal
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

failed = False
for path in sys.argv[1:]:
    schema = pq.read_schema(path)
    frame = pd.read_parquet(path)
    decimals = [f.name for f in schema if pa.types.is_decimal(f.type)]
    print(f"{path}: {len(frame)} rows")
    for name in decimals:
        value = frame[name].dropna().head(1).tolist()
        duck = (duckdb.sql(f"select typeof(\"{name}\") from read_parquet('{path}') limit 1").fetchall() or [None])[0]
        print(f"  {name}: pyarrow {schema.field(name).type}, pandas {value}, duckdb {duck[0] if duck else '-'}")
        if value and not isinstance(value[0], decimal.Decimal):
            failed = True
    for name in ("yes_bid", "yes_ask", "home_yes_bid", "home_win_probability"):
        if name in schema.names and name not in decimals:
            print(f"  {name} is {schema.field(name).type}, not a decimal")
            failed = True
sys.exit(1 if failed else 0)
