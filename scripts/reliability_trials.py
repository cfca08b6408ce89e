"""Reliability trials of the suite runner's store: kill -9 and resume, two concurrent runs, a read-only store.

    python scripts/reliability_trials.py [--kills 10] [--archs 40] [--out /tmp/trials]

1. A clean run scores ``--archs`` archs of NB201 ImageNet16-120* (seed 9000; ``swap`` with the authors' init, batch
   32) into a reference store.
2. ``--kills`` times: a run into a fresh store is killed with SIGKILL after a random delay (seeded), resumed, killed
   again ... until it finishes; then its rows are compared with the reference: rows lost, doubled (a key twice),
   changed (another value).
3. Two runs start at once on one store: the units each scored (they must add up to the distinct archs, no unit twice).
4. The finished store is made immutable (``chattr +i``, where the filesystem allows it) and re-run and reported: no
   write, same figures.

Prints one line per trial and a summary; ImageNet16-120* is CIFAR-100 at 16x16 (the named stand-in).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def correlate(db: Path, archs: int, fmt: str = "json") -> list[str]:
    return [sys.executable, "-m", "naslib_swap", "correlate", "--space", "nasbench201", "--dataset", "ImageNet16-120",
            "--proxies", "swap[init='normal',reinits=2]", "--seeds", "9000", "--archs", str(archs), "--batch-size",
            "32", "--db", str(db), "--no-progress", "--format", fmt]


def rows(db: Path) -> list[tuple[str, str, float]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT arch, proxy, score FROM scores ORDER BY arch, proxy").fetchall()


def kill_trial(db: Path, archs: int, rng: random.Random, ref: dict[tuple[str, str], float]) -> dict[str, int]:
    kills = 0
    while True:
        proc = subprocess.Popen(correlate(db, archs), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(3.0, 12.0))  # after the interpreter starts: mid-run
            break
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
    got = rows(db)
    keys = [(a, p) for a, p, _ in got]
    return {"kills": kills, "lost": len(set(ref) - set(keys)), "doubled": len(keys) - len(set(keys)),
            "changed": sum(1 for a, p, v in got if (a, p) in ref and ref[(a, p)] != v)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=10, help="kill-and-resume trials")
    ap.add_argument("--archs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/reliability")
    args = ap.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rng = random.Random(args.seed)
    t0 = time.time()
    ref_db = out / "reference.sqlite"
    subprocess.run(correlate(ref_db, args.archs), check=True, capture_output=True)
    ref = {(a, p): v for a, p, v in rows(ref_db)}
    print(f"reference: {len(ref)} rows in {time.time() - t0:.0f} s")
    totals = {"kills": 0, "lost": 0, "doubled": 0, "changed": 0}
    for i in range(args.kills):
        res = kill_trial(out / f"kill{i}.sqlite", args.archs, rng, ref)
        print(f"kill trial {i}: {res}")
        totals = {k: totals[k] + res[k] for k in totals}
    print(f"kill trials: {args.kills} runs, {totals['kills']} kill -9 in all; rows lost {totals['lost']}, doubled "
          f"{totals['doubled']}, changed {totals['changed']} (of {len(ref)} per run)")
    db = out / "concurrent.sqlite"
    procs = [subprocess.Popen(correlate(db, args.archs), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    runs = [json.loads(p.communicate()[0])["units_run"] for p in procs]
    got = rows(db)
    same = sum(1 for a, p, v in got if ref.get((a, p)) == v)
    print(f"concurrent: two runs scored {runs[0]} + {runs[1]} units for {len(ref)} distinct archs; {len(got)} rows, "
          f"{same} equal to the reference")
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(ref_db), str(out)]).returncode == 0:
        try:
            again = subprocess.run(correlate(ref_db, args.archs), capture_output=True, text=True)
            rep = subprocess.run([sys.executable, "-m", "naslib_swap", "report", "--db", str(ref_db), "--out",
                                  str(out.parent / f"{out.name}_report")], capture_output=True, text=True)
            print(f"read-only (immutable) store: correlate exit {again.returncode}, units run "
                  f"{json.loads(again.stdout)['units_run'] if again.returncode == 0 else '-'}; report exit "
                  f"{rep.returncode}")
        finally:
            subprocess.run(["chattr", "-i", str(ref_db), str(out)])
    else:
        print("read-only trial skipped: chattr +i is not available here")
    print(f"total {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
