"""Puts bench/results/ddist.json and pytorch.json side by side. The last line printed is the headline:
  mtt-iteration ddist/pytorch speed ratio: X.XX   (or, without that case, the throughput ratio lines)
Usage: report.py DDIST_JSON PYTORCH_JSON"""
import json
import sys

# (case, metric) pairs behind the closing "CASE ddist/pytorch throughput ratio: X" lines.
HEADLINES = [("convnet-train-step", "steps/s"), ("expert-epoch", "images/s"), ("expert-epoch-gsam", "images/s")]


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
    if "mtt-iteration" in dd["cases"]:
        mtt_details(dd["cases"]["mtt-iteration"]["details"], pt["cases"].get("mtt-iteration", {}).get("details", {}))
    print()
    # One headline line per case that both sides ran; the engine's first, the pipeline's (expert-epoch) after them.
    for case, name in HEADLINES:
        if case in dd["cases"] and case in pt["cases"]:
            print(f"{case} ddist/pytorch throughput ratio: {metric(dd, case, name) / metric(pt, case, name):.2f}")
    # The MTT iteration last: PyTorch's seconds per iteration over DDist's (above 1: DDist is faster), ConvNetW32.
    if "mtt-iteration" in dd["cases"] and "mtt-iteration" in pt["cases"] and has_metric(dd, "mtt-iteration", "w32 s/iter") \
            and has_metric(pt, "mtt-iteration", "w32 s/iter"):
        ratio = metric(pt, "mtt-iteration", "w32 s/iter") / metric(dd, "mtt-iteration", "w32 s/iter")
        print(f"mtt-iteration ddist/pytorch speed ratio: {ratio:.2f}")


def mtt_details(dd, pt):
    """Gradient agreement with PyTorch, and DDist's exact recomputation and TESLA rows."""
    print()
    print("mtt-iteration: gradient of one MTT iteration, same inputs on both sides (full unrolling vs PyTorch's reference loop)")
    row = "  {:<10} {:>10} {:>12} {:>12} {:>12} | {:>10} {:>10} {:>10} | {:>9} {:>11}"
    print(row.format("config", "img cos", "img rel", "α rel", "loss rel", "exact/full", "exact MiB", "full MiB",
                     "TESLA cos", "TESLA relnorm"))
    for key, d in dd.items():
        if isinstance(d, dict) and "skipped" in d:
            print(f"  {key:<10} {d['skipped']}")
        if not isinstance(d, dict) or "full" not in d:
            continue
        c = pt.get(key, {}).get("ddist_vs_pytorch", {})
        t = d["tesla_vs_exact (approximate)"]
        f = lambda v, spec: format(v, spec) if v is not None else "-"
        print(row.format(key, f(c.get("image_grad_cosine"), ".8f"), f(c.get("image_grad_rel_norm_diff"), ".2e"),
                         f(c.get("alpha_grad_rel_diff"), ".2e"), f(c.get("loss_rel_diff"), ".2e"),
                         f"{d['exact_over_full_time']:.2f}x", f"{d['exact_peak_mib']:.0f}", f"{d['full_peak_mib']:.0f}",
                         f"{t['image_grad_cosine']:.4f}", f"{t['image_grad_rel_norm_diff']:.3f}"))
        if "exact_over_full_cpu_time" in d:
            print(f"  {'':<10} exact/full by process CPU time (steadier on a busy machine): {d['exact_over_full_cpu_time']:.2f}x")
        w, v = pt.get(key, {}).get("pytorch_vs_float64"), pt.get(key, {}).get("ddist_vs_float64")
        if w and v:
            print(f"  {'':<10} float32 against a float64 run of the same iteration: image cos PyTorch {w['image_grad_cosine']:.8f}, "
                  f"DDist {v['image_grad_cosine']:.8f}; α rel PyTorch {w['alpha_grad_rel_diff']:.2e}, DDist {v['alpha_grad_rel_diff']:.2e}")
        e = d["exact_vs_full"]
        print(f"  {'':<10} DDist exact vs full: image rel norm diff {e['image_grad_rel_norm_diff']:.2e}, "
              f"α rel diff {e['alpha_grad_rel_diff']:.2e}; TESLA (approximate) α rel diff {t['alpha_grad_rel_diff']:.3f}")
    p = dd.get("exact_peak_by_steps")
    if p:
        lo, hi = p.get("syn_steps", [10, 80])   # 10 and 80 unless the run scaled N down (--mtt-syn-steps)
        print(f"  exact recomputation, {p['config']}: peak {p[f'n{lo}']['peak_kib'] / 1024:.0f} MiB at syn_steps {lo}, "
              f"{p[f'n{hi}']['peak_kib'] / 1024:.0f} MiB at syn_steps {hi} (ratio {p[f'peak_ratio_{hi}_over_{lo}']:.3f})")


def has_metric(doc, case, name):
    return any(m["name"] == name for m in doc["cases"][case]["metrics"])


def metric(doc, case, name):
    return next(m["value"] for m in doc["cases"][case]["metrics"] if m["name"] == name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
