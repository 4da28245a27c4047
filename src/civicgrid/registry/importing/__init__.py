"""Registry file import: read a file (files), find its headings (header), read each row
through its kind's columns (columns, rows), place it (placing), check it against the
file and the registry (checks) and write the good rows in bulk (writes); `service`
runs the steps chunk by chunk and `report` says what happened, row by row."""
