#!/usr/bin/env python3
"""Scores `sapa signature --json` on a labelled signature set (labels.csv: file, label, ...;
label `usable` or a signature code, as scripts/signature-set.sh writes it).

    sapa signature --json --profile kz-id DIR/*.png > out.jsonl
    scripts/signature-score.py DIR/labels.csv out.jsonl

Prints, for usable samples, how many were rejected and by which failed checks (value against
threshold); for each labelled defect, how many failed their own code, with every miss listed. A
sample the engine refused before judging it (an `error` line, e.g. `image_too_small` under 32 px a
side) is counted apart: it is rejected, but by no signature code.
"""
import collections, csv, json, os, sys


def main(labels_csv, jsonl):
    labels = {r["file"]: r for r in csv.DictReader(open(labels_csv))}
    results = {}
    for line in open(jsonl):
        line = line.strip()
        if line:
            d = json.loads(line)
            results[os.path.basename(d["file"])] = d
    missing = sorted(set(labels) - set(results))
    if missing:
        sys.exit(f"no result for {len(missing)} labelled files, e.g. {missing[:3]}")

    def failed(d):
        return [c for c in d.get("checks", []) if not c["passed"] and c["severity"] == "reject"]

    def fmt(c):
        t = c.get("threshold") or {}
        bound = " ".join(f"{k} {v:g}" for k, v in t.items())
        value = c.get("value")
        value = "n/a" if value is None else f"{value:.4g}"
        return f"{c['code']} ({c['measure']} {value}, {bound})"

    by_label = collections.defaultdict(list)
    for f, r in labels.items():
        by_label[r["label"]].append(f)

    usable = sorted(by_label.pop("usable", []))
    rej = [f for f in usable if "error" in results[f] or results[f]["decision"] != "accept"]
    print(f"usable: {len(rej)} of {len(usable)} rejected"
          + (f" ({100 * len(rej) / len(usable):.1f}%)" if usable else ""))
    codes = collections.Counter()
    for f in rej:
        d = results[f]
        if "error" in d:
            print(f"  {f}: error {d['error']['code']}")
            codes["error:" + d["error"]["code"]] += 1
            continue
        fs = failed(d)
        for c in {c["code"] for c in fs}:
            codes[c] += 1
        print(f"  {f}: " + "; ".join(fmt(c) for c in fs))
    if codes:
        print("  by code: " + ", ".join(f"{k} {v}" for k, v in codes.most_common()))

    print()
    print("defect: caught by its own code / rejected at all (an error counts as rejected) / n")
    for label in sorted(by_label):
        files = sorted(by_label[label])
        own = [f for f in files if "error" not in results[f]
               and label in {c["code"] for c in failed(results[f])}]
        errors = [f for f in files if "error" in results[f]]
        rejected = [f for f in files if "error" in results[f] or results[f]["decision"] != "accept"]
        n = len(files)
        print(f"  {label}: {len(own)}/{n} ({100 * len(own) / n:.0f}%) own code; "
              f"{len(rejected)}/{n} rejected; {len(errors)} refused before judging")
        for f in files:
            if f in own:
                continue
            d = results[f]
            why = (f"error {d['error']['code']}" if "error" in d
                   else ("; ".join(fmt(c) for c in failed(d)) or "accepted"))
            own_checks = [c for c in d.get("checks", []) if c["code"] == label]
            seen = "; ".join(fmt(c) for c in own_checks)
            print(f"    miss {f}: {why}" + (f"  [own: {seen}]" if seen else ""))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
