"""Same-machine reference check: Diffusion.Net's ClassConditionalUNet against the PyTorch reference.

    apt-get install python3-torch            # Debian's PyTorch (a test tool, never a dependency of the library)
    dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- mnist-reference-io /tmp/unet-io
    /usr/bin/python3 tools/pytorch_reference/check_mnist_unet.py /tmp/unet-io

The C# side writes model.safetensors (the weights) and io.safetensors (x, c, t and its output) into the folder.
"""
import json
import struct
import sys

import torch

from cs180_unets import ClassConditionalUNet

DTYPES = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = bytearray(data[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).clone()
    return out


folder = sys.argv[1]
weights = load_safetensors(f"{folder}/model.safetensors")
io = load_safetensors(f"{folder}/io.safetensors")
d = weights["first_block.conv1.conv.weight"].shape[0]
model = ClassConditionalUNet(1, d)
missing, unexpected = model.load_state_dict(weights, strict=True), None
model.eval()
with torch.no_grad():
    out = model(io["x"], io["c"], io["t"])
diff = (out - io["out"]).abs().max().item()
print(f"ClassConditionalUNet D={d}: max |PyTorch − Diffusion.Net| = {diff:.3e} over {out.numel()} values")
sys.exit(0 if diff < 1e-4 else 1)
