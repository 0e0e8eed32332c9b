"""Turns meson's testlog.json into the line "N passed, N failed".

A Catch2 executable counts its test cases; any other test counts as one. A
test that crashed, timed out or failed without a Catch2 summary counts as one
failure, so a broken binary can never vanish from the count.
"""
import json
import re
import sys

ALL_PASSED = re.compile(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)")
MIXED = re.compile(r"test cases:\s+(\d+) \|\s+(\d+) passed \|\s+(\d+) failed")
GOOD = {"OK", "EXPECTEDFAIL"}


def count(record):
    out = record.get("stdout") or ""
    good = record["result"] in GOOD
    if m := ALL_PASSED.search(out):
        return (int(m[1]), 0) if good else (int(m[1]), 1)
    if m := MIXED.search(out):
        return int(m[2]), max(int(m[3]), 0 if good else 1)
    if record["result"] == "SKIP":
        return 0, 0
    return (1, 0) if good else (0, 1)


def main(path):
    passed = failed = 0
    try:
        with open(path) as log:
            records = [json.loads(line) for line in log if line.strip()]
    except OSError as e:
        print(f"count_tests: cannot read {path}: {e.strerror}")
        records = []
    for record in records:
        p, f = count(record)
        passed += p
        failed += f
        if f:
            print(f"FAILED: {record['name']} ({record['result']})")
    if not records:
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
