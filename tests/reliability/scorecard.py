#!/usr/bin/env python3
"""scorecard.py - runs the reliability checks of checks.txt and writes tests/RELIABILITY.md.

  tests/reliability/scorecard.py [--only NAME,...] [--build DIR] [--bin PATH] [--logs DIR]
                                 [--out FILE] [--collect]

Every check reports its measured figures as lines
    SCORE <name> <figure> <pass|fail> <condition>
(figure is one token, condition the rest of the line); the scorecard is the table of those lines.
Defaults: --build build (a release build with tests), --bin BUILD/proxy/mtls-sidecar,
--logs build-scan/reliability (one <check>.log each), --out tests/RELIABILITY.md.
--collect skips running and rebuilds the table from the logs (CI: one job per check, then collect).
With --only, the other checks keep the rows of their last logs. Exit 1 when any row fails or a
check is missing. Standard library only.
"""
import argparse
import datetime
import os
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCORE = re.compile(r"^SCORE (\S+) (\S+) (pass|fail) (.*)$")
CTEST_RESULT = re.compile(r"Test\s+#(\d+): (\S+) \.*\s*(\**)\s*(Passed|Failed|Timeout|Not Run|Exception|Subprocess aborted|Child aborted|\S+)\s+([\d.]+) sec")
MEASURE = re.compile(r"\[ measure\s*\] (.*)")


def read_checks(path):
    checks = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
            if not line:
                continue
            parts = line.split(None, 3)
            if len(parts) != 4 or parts[1] not in ("script", "ctest"):
                sys.exit(f"{path}:{n}: expected NAME KIND TIMEOUT TARGET")
            checks.append({"name": parts[0], "kind": parts[1], "timeout": int(parts[2]), "target": parts[3]})
    return checks


def run_check(check, args, log_path):
    target = check["target"].replace("{BIN}", args.bin).replace("{BUILD}", args.build)
    if check["kind"] == "script":
        argv = shlex.split(target)
        if not os.path.exists(os.path.join(ROOT, argv[0])):
            return write_log(log_path, check, "missing", f"{argv[0]} does not exist\n")
        cmd = argv
    else:
        if not os.path.exists(os.path.join(args.build, "CTestTestfile.cmake")):
            return write_log(log_path, check, "missing", f"no ctest build in {args.build}\n")
        cmd = ["ctest", "--test-dir", args.build, "-R", target, "-V", "--timeout", str(check["timeout"])]
    start = time.monotonic()
    print(f"== {check['name']}: {' '.join(cmd)}", flush=True)
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=check["timeout"] + 60, text=True, errors="replace")
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        rc = "timeout"
    seconds = time.monotonic() - start
    status = f"rc={rc} seconds={seconds:.0f}"
    for line in out.splitlines():
        if line.startswith("SCORE ") or "Test #" in line or "tls_scan summary" in line:
            print("   " + line, flush=True)
    return write_log(log_path, check, status, out)


def write_log(path, check, status, text):
    with open(path, "w") as f:
        f.write(f"#check {check['name']} {check['kind']} {status}\n{text}")
    return path


def rows_from_log(check, path):
    """(name, figure, verdict, condition) rows of one check's log."""
    if not os.path.exists(path):
        return [(check["name"], "-", "not run", f"{check['kind']} {check['target']}")]
    with open(path, errors="replace") as f:
        text = f.read()
    header, _, body = text.partition("\n")
    status = header.split(None, 3)[3] if len(header.split(None, 3)) > 3 else "?"
    if status == "missing":
        return [(check["name"], "-", "missing", body.strip())]
    rows = []
    for line in body.splitlines():
        m = SCORE.match(re.sub(r"^\d+: ", "", line.strip()))  # ctest -V prefixes "N: "
        if m:
            rows.append(m.groups())
    if check["kind"] == "ctest":
        outputs = {}
        for line in body.splitlines():
            m = re.match(r"^(\d+): (.*)$", line)
            if m:
                outputs.setdefault(m.group(1), []).append(m.group(2))
        for m in CTEST_RESULT.finditer(body):
            number, test, _, result, seconds = m.groups()
            measures = [mm.group(1) for l in outputs.get(number, []) for mm in [MEASURE.search(l)] if mm]
            figure = "; ".join(measures) if measures else f"{float(seconds):.1f}s"
            rows.append((test, figure, "pass" if result == "Passed" else "fail",
                         f"ctest {test} passes ({result}, {float(seconds):.1f} s)"))
        if not CTEST_RESULT.search(body):
            rows.append((check["name"], "no-tests", "fail", f"ctest -R '{check['target']}' ran no test"))
    rc = re.search(r"rc=(\S+)", status)
    if rc and rc.group(1) != "0" and not any(r[2] == "fail" for r in rows):
        rows.append((check["name"], f"exit-{rc.group(1)}", "fail", "the check exits 0"))
    if not rows:
        rows.append((check["name"], "-", "fail", "the check printed no SCORE line"))
    return rows


def git_commit():
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except OSError:
        return "?"


def write_markdown(path, all_rows, logs, binary):
    n_pass = sum(1 for _, rows in all_rows for r in rows if r[2] == "pass")
    n_total = sum(len(rows) for _, rows in all_rows)
    lines = [
        "# Reliability scorecard",
        "",
        "Generated by `tests/reliability/scorecard.py` ; do not edit by hand. Each row is a",
        "`SCORE <name> <figure> <pass|fail> <condition>` line printed by a check of",
        "`tests/reliability/checks.txt`, or a ctest result. Regenerate everything with",
        "`tests/reliability/scorecard.py`, one check with `--only NAME`, from CI logs with `--collect`.",
        "",
        f"Commit `{git_commit()}`, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, sidecar `{os.path.relpath(binary, ROOT)}`. "
        f"**{n_pass} of {n_total} rows pass.** Logs: `{os.path.relpath(logs, ROOT)}/`.",
        "",
        "| check | measure | figure | result | pass condition |",
        "|---|---|---|---|---|",
    ]
    for check, rows in all_rows:
        for name, figure, verdict, condition in rows:
            mark = {"pass": "pass", "fail": "**FAIL**"}.get(verdict, f"*{verdict}*")
            cell = lambda s: s.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {check['name']} | `{cell(name)}` | {cell(figure)} | {mark} | {cell(condition)} |")
    lines += ["", "Longer runs, not in CI: `tests/fuzz/run.sh 1800` (30 min per fuzz target), "
              "`tests/e2e/soak.sh build/proxy/mtls-sidecar 600` (10 min soak).", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return n_pass, n_total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--bin", default="")
    ap.add_argument("--logs", default=os.path.join(ROOT, "build-scan", "reliability"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "RELIABILITY.md"))
    ap.add_argument("--checks", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks.txt"))
    ap.add_argument("--collect", action="store_true")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.bin = os.path.abspath(args.bin or os.path.join(args.build, "proxy", "mtls-sidecar"))
    checks = read_checks(args.checks)
    only = set(filter(None, args.only.split(",")))
    unknown = only - {c["name"] for c in checks}
    if unknown:
        sys.exit(f"unknown check(s): {', '.join(sorted(unknown))}")
    os.makedirs(args.logs, exist_ok=True)
    for check in checks:
        log = os.path.join(args.logs, check["name"] + ".log")
        if not args.collect and (not only or check["name"] in only):
            run_check(check, args, log)
    all_rows = [(c, rows_from_log(c, os.path.join(args.logs, c["name"] + ".log"))) for c in checks]
    n_pass, n_total = write_markdown(args.out, all_rows, args.logs, args.bin)
    print(f"{os.path.relpath(args.out, ROOT)}: {n_pass} of {n_total} rows pass")
    return 0 if n_pass == n_total else 1


if __name__ == "__main__":
    sys.exit(main())
