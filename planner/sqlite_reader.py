"""Run a SQLite query through ADBC and write its rows to stdout as an Arrow IPC stream, in a process of its own.

planner.dataaccess.read_batches starts it: ADBC's SQLite is a second copy of the SQLite library, and two copies in
one process release each other's POSIX file locks, which can corrupt the database; in a process of its own it is
just another reader. Usage: python sqlite_reader.py DATABASE_PATH BATCH_ROWS, the query as JSON {"sql", "params"}
on stdin.
"""

import json
import sys

import adbc_driver_manager
import adbc_driver_sqlite
import pyarrow as pa


def main() -> None:
    path, rows = sys.argv[1], sys.argv[2]
    query = json.loads(sys.stdin.read())
    with (
        adbc_driver_sqlite.connect(path) as database,
        adbc_driver_manager.AdbcConnection(database) as conn,
        adbc_driver_manager.AdbcStatement(conn) as statement,
    ):
        if query.get("mmap"):
            statement.set_sql_query(f"PRAGMA mmap_size = {int(query['mmap'])}")
            statement.execute_update()
        statement.set_options(**{"adbc.sqlite.query.batch_rows": rows})
        statement.set_sql_query(query["sql"])
        if query["params"]:
            statement.bind(
                pa.record_batch(
                    [pa.array([v]) for v in query["params"]], names=list(map(str, range(len(query["params"]))))
                )
            )
        handle, _ = statement.execute_query()
        reader = pa.RecordBatchReader._import_from_c(handle.address)
        with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as out:
            for batch in reader:
                out.write_batch(batch)


if __name__ == "__main__":
    main()
