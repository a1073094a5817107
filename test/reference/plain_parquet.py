"""A jsonl file as parquet the way the hub's converter writes a SetFit set: pyarrow columns as
the rows have them (text string, label int64, label_text string), no ClassLabel feature.

stdin (JSON): {source: a .jsonl file, target: the .parquet to write}. stdout: {"rows": N}
"""

import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def main():
    request = json.load(sys.stdin)
    with open(request["source"], encoding="utf8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, request["target"], compression="snappy")
    sys.stdout.write(json.dumps({"rows": len(rows)}) + "\n")


if __name__ == "__main__":
    main()
