"""Puts bench/results/ddist.json and pytorch.json side by side. The last line printed is the headline:
  convnet-train-step ddist/pytorch throughput ratio: X.XX
Usage: report.py DDIST_JSON PYTORCH_JSON"""
import json
import sys

HEADLINE_CASE, HEADLINE_METRIC = "convnet-train-step", "steps/s"


def load(path):
    with open(path) as f:
        return json.load(f)


def main(ddist_path, torch_path):
    dd, pt = load(ddist_path), load(torch_path)
    print(f"ddist:   libtorch {dd['torch_version']}, {dd['threads']} threads")
    print(f"pytorch: torch {pt['torch_version']}, {pt['threads']} threads")
    print()
    row = "{:<20} {:<12} {:>12} {:>12} {:>14}"
    print(row.format("case", "metric", "ddist", "pytorch", "ddist better x"))
    print(row.format("-" * 20, "-" * 12, "-" * 12, "-" * 12, "-" * 14))
    for name in list(dd["cases"]) + [n for n in pt["cases"] if n not in dd["cases"]]:
        a, b = dd["cases"].get(name), pt["cases"].get(name)
        if a is None or b is None:
            print(f"{name:<20} (only in {'ddist' if b is None else 'pytorch'})")
            continue
        theirs = {m["name"]: m for m in b["metrics"]}
        for m in a["metrics"]:
            o = theirs.get(m["name"])
            if o is None:
                continue
            better = m["value"] / o["value"] if m["higher_is_better"] else o["value"] / m["value"]
            print(row.format(name, m["name"], f"{m['value']:.4g}", f"{o['value']:.4g}", f"{better:.2f}"))
        la, lb = a["details"].get("first_loss"), b["details"].get("first_loss")
        if la is not None and lb is not None:
            print(f"{'':<20} first-step loss ddist {la:.6f}, pytorch {lb:.6f} (same seed, same init: should agree)")
    print()
    ratio = metric(dd, HEADLINE_METRIC) / metric(pt, HEADLINE_METRIC)
    print(f"{HEADLINE_CASE} ddist/pytorch throughput ratio: {ratio:.2f}")


def metric(doc, name):
    return next(m["value"] for m in doc["cases"][HEADLINE_CASE]["metrics"] if m["name"] == name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
