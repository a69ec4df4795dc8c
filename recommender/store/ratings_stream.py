"""Every rating out of the store as compact numpy columns, read in chunks.

`pd.read_sql_query` over 25 million rows builds 100 million Python objects at once (several
GB, minutes); here a static SELECT is read `CHUNK_ROWS` at a time into numpy, so the rebuild holds
20 bytes per rating (int32 ids, float32 stars, int64 seconds) and a chunk of tuples at a time."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import sqlite_utils

log = logging.getLogger(__name__)

CHUNK_ROWS = 500_000
SELECT_RATINGS = "SELECT user_id, movie_id, rating, timestamp FROM ratings ORDER BY user_id, movie_id"
ROW = np.dtype([("user_id", "<i4"), ("movie_id", "<i4"), ("rating", "<f4"), ("timestamp", "<i8")])


def ratings_frame(db: sqlite_utils.Database, chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """user_id, movie_id, rating, timestamp for every rating, ordered by user then movie (the
    primary key's order: no sort). One read transaction, so a rating written meanwhile is either
    wholly in or wholly out."""
    cursor = db.conn.execute(SELECT_RATINGS)
    parts, total = [], 0
    try:
        while True:
            rows = cursor.fetchmany(chunk_rows)
            if not rows:
                break
            parts.append(np.fromiter(rows, dtype=ROW, count=len(rows)))
            total += len(rows)
            if len(parts) % 10 == 0:
                log.info("read %d ratings from the store", total)
    finally:
        cursor.close()
    table = np.concatenate(parts) if parts else np.zeros(0, dtype=ROW)
    del parts
    return pd.DataFrame({name: table[name] for name in ROW.names})
