"""Sums a oneDNN verbose log per primitive kind and per (kind, implementation, propagation, problem).

    ONEDNN_VERBOSE=1 dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- mnist-steps nhwc bf16 12 > /tmp/dnnl.log
    python3 tools/onednn_profile.py /tmp/dnnl.log 12 [TOP]

The second argument is the number of steps in the log (times are reported per step). Standard library only.
"""
import collections
import sys


def main(path, steps, top):
    by_key = collections.defaultdict(lambda: [0, 0.0])
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split(",")
            # onednn_verbose,v1,primitive,exec,cpu,<kind>,<impl>,<prop>,<memory>,<attrs>,<aux>,<problem>,<ms>
            if len(fields) < 13 or fields[2] != "primitive" or fields[3] != "exec":
                continue
            kind, impl, prop, memory, problem = fields[5], fields[6], fields[7], fields[8], fields[11]
            # "src:bf16::blocked:acdb::f0": the fifth field is the layout (abcd = NCHW, acdb = NHWC, aBcd16b = blocked).
            parts = memory.split(" ")[0].split(":")
            layout = parts[4] if len(parts) > 4 else ""
            entry = by_key[(kind, impl, prop, problem, layout)]
            entry[0] += 1
            entry[1] += float(fields[12])
    total = sum(v[1] for v in by_key.values()) / steps
    by_kind = collections.Counter()
    for key, (_, ms) in by_key.items():
        by_kind[key[0]] += ms / steps
    print(f"oneDNN time per step: {total:.1f} ms")
    for kind, ms in by_kind.most_common():
        print(f"  {kind:16s} {ms:8.1f} ms")
    print()
    for (kind, impl, prop, problem, layout), (count, ms) in sorted(by_key.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"{ms / steps:8.1f} ms  x{count // steps:<3d} {kind} {prop} {impl} {problem} {layout}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 25)
