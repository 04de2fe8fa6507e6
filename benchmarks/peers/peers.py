"""The Python side of the peer benchmarks: ONNX export of the reference networks, and the PyTorch timing child.

A test tool only (Debian's python3-torch 1.13, diffusers 0.29.2 from its public git tag): never a dependency of the
library. The C# harness (benchmarks/Diffusion.Net.Benchmarks.Peers) calls it; see benchmarks/peers/README.md.

    peers.py export-mnist  DIR D         # random CS180 class-conditioned UNet: DIR/mnist/{model.safetensors, inputs-B.safetensors, model.onnx}
    peers.py export-if     DIR CONFIG    # random IF UNet from a diffusers config: DIR/NAME/{config.json, diffusion_pytorch_model.safetensors, inputs.safetensors, model.onnx}
    peers.py child NET DIR DTYPE THREADS REPS [BATCH]   # PyTorch timing: one JSON line; writes DIR/out-torch-DTYPE[-B].safetensors
"""
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "pyshim"), os.path.join(HERE, "..", "..", "tools", "pytorch_reference")]
if os.environ.get("DN_DIFFUSERS_SRC"):
    sys.path.insert(0, os.environ["DN_DIFFUSERS_SRC"])

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

OPSET = 17


def peak_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def mnist_model(d):
    from cs180_unets import ClassConditionalUNet
    return ClassConditionalUNet(1, d)


class MnistWrapper(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, c, t):
        return self.net(x, c, t)


def export_mnist(folder, d):
    out = os.path.join(folder, "mnist")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    net = mnist_model(d).eval()
    # BatchNorm running statistics away from (0, 1), so the check exercises them.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    save_file(dict(net.state_dict()), os.path.join(out, "model.safetensors"))
    g = torch.Generator().manual_seed(1)
    for b in (100, 200):
        x = torch.randn(b, 1, 28, 28, generator=g)
        c = torch.arange(b, dtype=torch.int64) % 11 - 1  # includes the null class −1
        t = torch.rand(b, generator=g)
        save_file({"x": x, "c": c, "t": t}, os.path.join(out, f"inputs-{b}.safetensors"))
    inp = load_file(os.path.join(out, "inputs-100.safetensors"))
    torch.onnx.export(MnistWrapper(net), (inp["x"], inp["c"], inp["t"]), os.path.join(out, "model.onnx"), opset_version=OPSET,
                      input_names=["x", "c", "t"], output_names=["out"],
                      dynamic_axes={"x": {0: "b"}, "c": {0: "b"}, "t": {0: "b"}, "out": {0: "b"}})
    print(f"exported {out}")


class IFWrapper(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, text):
        return self.unet(sample, timestep, encoder_hidden_states=text, return_dict=False)[0]


def if_inputs(cfg, batch=2):
    g = torch.Generator().manual_seed(2)
    size = cfg["sample_size"]
    inputs = {
        "sample": torch.randn(batch, cfg["in_channels"], size, size, generator=g),
        "timestep": torch.full((batch,), 500, dtype=torch.int64),
        "text": torch.randn(batch, 77, cfg["encoder_hid_dim"], generator=g) * 0.1,
    }
    if cfg.get("class_embed_type") == "timestep":  # stage II: the noise level of the up-scaled low-resolution image
        inputs["class_labels"] = torch.full((batch,), 250, dtype=torch.int64)
    return inputs


def export_if(folder, config_path):
    from diffusers import UNet2DConditionModel
    with open(config_path) as f:
        cfg = json.load(f)
    name = os.path.basename(config_path).split(".unet")[0]
    out = os.path.join(folder, name)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**{k: v for k, v in cfg.items() if not k.startswith("_")}).eval()
    unet.save_pretrained(out, safe_serialization=True)
    inputs = if_inputs(cfg)
    save_file(inputs, os.path.join(out, "inputs.safetensors"))
    names = ["sample", "timestep", "text"] + (["class_labels"] if "class_labels" in inputs else [])
    wrapper = IFWrapper(unet)
    if "class_labels" in inputs:
        class W2(torch.nn.Module):
            def __init__(self, u):
                super().__init__()
                self.unet = u

            def forward(self, sample, timestep, text, class_labels):
                return self.unet(sample, timestep, encoder_hidden_states=text, class_labels=class_labels, return_dict=False)[0]
        wrapper = W2(unet)
    with torch.no_grad():
        torch.onnx.export(wrapper, tuple(inputs[n] for n in names), os.path.join(out, "model.onnx"), opset_version=OPSET,
                          input_names=names, output_names=["out"])
    print(f"exported {out}")


def child(net, folder, dtype_name, threads, reps, batch):
    torch.set_num_threads(threads)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype_name]
    if net == "mnist":
        folder = os.path.join(folder, "mnist")
        weights = load_file(os.path.join(folder, "model.safetensors"))
        model = mnist_model(weights["first_block.conv1.conv.weight"].shape[0])
        model.load_state_dict(weights, strict=True)
        inp = load_file(os.path.join(folder, f"inputs-{batch}.safetensors"))
        args = (inp["x"].to(dtype), inp["c"], inp["t"].to(dtype))
        suffix = f"-{batch}"
    else:
        from diffusers import UNet2DConditionModel
        folder = os.path.join(folder, net)
        model = IFWrapper(UNet2DConditionModel.from_pretrained(folder))
        inp = load_file(os.path.join(folder, "inputs.safetensors"))
        args = tuple(inp[n].to(dtype) if inp[n].is_floating_point() else inp[n] for n in ("sample", "timestep", "text", "class_labels") if n in inp)
        if "class_labels" in inp:
            unet = model.unet
            model = lambda s, t, e, c: unet(s, t, encoder_hidden_states=e, class_labels=c, return_dict=False)[0]  # noqa: E731
        suffix = ""
    if isinstance(model, torch.nn.Module):
        model = model.to(dtype).eval()
    elif dtype != torch.float32:
        unet.to(dtype).eval()
    times = []
    with torch.no_grad():
        try:
            out = model(*args)
        except RuntimeError as e:  # e.g. torch 1.13 has no bfloat16 ConvTranspose2d on CPU
            print(json.dumps({"side": "pytorch", "version": torch.__version__, "error": str(e).splitlines()[0], "peak_rss_kb": peak_rss_kb()}))
            return
        for _ in range(reps):
            t0 = time.perf_counter()
            out = model(*args)
            times.append(time.perf_counter() - t0)
    save_file({"out": out.float()}, os.path.join(folder, f"out-torch-{dtype_name}{suffix}.safetensors"))
    print(json.dumps({"side": "pytorch", "version": torch.__version__, "median_s": statistics.median(times), "times": times,
                      "peak_rss_kb": peak_rss_kb()}))


def main(argv):
    cmd = argv[1]
    if cmd == "export-mnist":
        export_mnist(argv[2], int(argv[3]))
    elif cmd == "export-if":
        export_if(argv[2], argv[3])
    elif cmd == "child":
        child(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), int(argv[7]) if len(argv) > 7 else 100)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
