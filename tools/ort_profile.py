"""Sums an ONNX Runtime profile (the JSON its EnableProfiling writes) per operator type and per node.

    DN_PEERS_ORT_PROFILE=/tmp/ort-t5 $P child ort t5 /tmp/peers float32 2 3 1
    python3 tools/ort_profile.py /tmp/ort-t5_*.json 4 [TOP]

The second argument is the number of runs in the profile (the warm-up call and the timed ones); times are reported
per run. Standard library only.
"""
import collections
import json
import sys


def main(path, runs, top):
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    by_op = collections.Counter()
    by_node = collections.Counter()
    shapes = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        args = e.get("args", {})
        op = args.get("op_name", "?")
        node = e["name"][: -len("_kernel_time")]
        by_op[op] += e["dur"] / 1000.0
        by_node[(op, node)] += e["dur"] / 1000.0
        shapes[(op, node)] = args.get("input_type_shape", "")
    total = sum(by_op.values()) / runs
    print(f"ONNX Runtime kernel time per run: {total:.1f} ms")
    for op, ms in by_op.most_common():
        print(f"  {op:28s} {ms / runs:8.1f} ms")
    print()
    for (op, node), ms in by_node.most_common(top):
        print(f"{ms / runs:8.1f} ms  {op} {node} {json.dumps(shapes[(op, node)])[:160]}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 20)
