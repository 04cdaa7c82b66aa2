#!/usr/bin/env python3
"""Prints a Markdown table of the JSON files bench/peers/run-all.sh wrote (one per workload and backend)."""
import json
import pathlib
import sys


def fmt_us(value):
    if value is None or value != value:  # None or NaN
        return "–"
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} µs"


def main(out):
    rows = []
    for path in sorted(pathlib.Path(out).glob("*.json")):
        workload, _, name = path.stem.partition("--")
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, OSError):
            rows.append((workload, name.replace("_", " "), "failed", "", "", "", "", ""))
            continue
        per = data.get("cyclesPerContender") or []
        rows.append((
            workload,
            name.replace("_", " "),
            f"{data['cyclesPerSecond']:.0f}",
            fmt_us(data.get("acquireP50Microseconds")) + " / " + fmt_us(data.get("acquireP99Microseconds")),
            fmt_us(data.get("handoffP50Microseconds")) + " / " + fmt_us(data.get("handoffP99Microseconds")) + f" ({data.get('handoffs', 0)})",
            f"{data.get('longestWaitMilliseconds', 0):.0f} ms"
            + (f" ({data['mostTurnsWaited']} turns)" if data.get("mostTurnsWaited") is not None else ""),
            f"{data.get('jainFairness', 0):.3f}",
            f"{min(per)} / {max(per)}" if per else "",
        ))
    print("| workload | backend | cycles/s | acquire p50 / p99 | hand-off p50 / p99 (count) | longest wait (most turns waited) | Jain | cycles/contender min / max |")
    print("|---|---|---:|---|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
