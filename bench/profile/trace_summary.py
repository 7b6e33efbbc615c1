"""Self time per op from a Chrome trace (DDist's OpProfiler, or torch.profiler's export_chrome_trace):
  /usr/bin/python3 bench/profile/trace_summary.py trace.json [rows]"""
import json, sys
from collections import defaultdict

events = json.load(open(sys.argv[1]))
if isinstance(events, dict): events = events.get("traceEvents", [])
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 30
spans = defaultdict(list)
for e in events:
    if e.get("ph") == "X" and "dur" in e:
        spans[e.get("tid")].append((float(e["ts"]), float(e["dur"]), e["name"]))
self_us, calls = defaultdict(float), defaultdict(int)
total = 0.0
for tid, evs in spans.items():
    evs.sort(key=lambda t: (t[0], -t[1]))
    stack = []  # [end, name, child time]
    def pop():
        end, name, child, dur = stack.pop()
        self_us[name] += dur - child
    for ts, dur, name in evs:
        while stack and ts >= stack[-1][0] - 1e-3:
            pop()
        if stack: stack[-1][2] += dur
        else: total += dur
        stack.append([ts + dur, name, 0.0, dur]); calls[name] += 1
    while stack: pop()
print(f"{'op':48s} {'self ms':>10s} {'%':>6s} {'calls':>7s}")
for name, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:rows]:
    print(f"{name[:48]:48s} {us/1000:10.1f} {100*us/max(total,1e-9):6.1f} {calls[name]:7d}")
print(f"{'total (top-level ops)':48s} {total/1000:10.1f}")
