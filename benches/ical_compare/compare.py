"""klaxon side of the comparison: for each feed and instant the reference sampled, ask
`klaxon oncall --at T --format json` (a config naming the feed as an ical schedule, time_zone as
the reference read floating times) whether someone is on call; print the agreement."""
import json, os, subprocess, sys, tempfile, collections
from concurrent.futures import ThreadPoolExecutor

binary, reference = sys.argv[1], sys.argv[2]
detail = len(sys.argv) > 3 and sys.argv[3] == "-v"
rows = [json.loads(l) for l in open(reference)]
work = tempfile.mkdtemp(prefix="klaxon-cmp-")

def ask(args):
    i, row = args
    cfg = os.path.join(work, f"k{i}.toml")
    with open(cfg, "w") as f:
        f.write(f'[store]\npath = "{work}/k{i}.db"\n[notify]\ndesktop = false\n\n[[schedules]]\nname = "feed"\nkind = "ical"\n'
                f'url = "{row["file"]}"\ntime_zone = "{row.get("time_zone", "UTC")}"\ntimeout = "60s"\nmax_bytes = 50000000\n')
    res = []
    for t, ref in row["samples"]:
        p = subprocess.run([binary, "oncall", "--format", "json", "--at", t, "--config", cfg], capture_output=True, text=True)
        try:
            v = json.loads(p.stdout)[0]
            got, err = v["now"] is not None, v["error"]
        except Exception:
            got, err = None, (p.stderr.strip().splitlines() or ["no output"])[-1][:200]
        res.append((t, ref, got, err, p.returncode))
    return row["file"], res

todo = [(i, r) for i, r in enumerate(rows) if r["samples"]]
with ThreadPoolExecutor(2) as ex:
    results = list(ex.map(ask, todo))
agree = total = crashed = failed = 0
misses = collections.Counter(); extra = collections.Counter()
for f, res in results:
    for t, ref, got, err, code in res:
        total += 1
        if got is None:
            crashed += 1
        if err:
            failed += 1
        if got == ref:
            agree += 1
        elif ref:
            misses[os.path.basename(f)] += 1
        else:
            extra[os.path.basename(f)] += 1
        if detail and got != ref:
            print(f"DIFF {os.path.basename(f)} {t} reference={ref} klaxon={got} error={err}")
print(f"{len(results)} feeds, {total} instants: agree {agree} ({100*agree/total:.1f}%), "
      f"reference active but klaxon nobody {sum(misses.values())}, klaxon on call but reference none {sum(extra.values())}, "
      f"schedule errors {failed}, no JSON (crash) {crashed}")
print("misses by feed:", misses.most_common(15))
print("extras by feed:", extra.most_common(10))
