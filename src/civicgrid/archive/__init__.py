"""The event archive: cases and disputes as Parquet, partitioned by month and district."""
