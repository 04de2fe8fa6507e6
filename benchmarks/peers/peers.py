"""The Python side of the peer benchmarks: ONNX export of the reference networks, and the PyTorch timing child.

A test tool only (Debian's python3-torch 1.13, diffusers 0.29.2 from its public git tag): never a dependency of the
library. The C# harness (benchmarks/Diffusion.Net.Benchmarks.Peers) calls it; see benchmarks/peers/README.md.

    peers.py export-mnist  DIR D         # random CS180 class-conditioned UNet: DIR/mnist/{model.safetensors, inputs-B.safetensors, model.onnx}
    peers.py export-if     DIR CONFIG    # random IF UNet from a diffusers config: DIR/NAME/{config.json, diffusion_pytorch_model.safetensors, inputs.safetensors, model.onnx}
    peers.py export-t5     DIR CONFIG LAYERS   # random T5-v1.1 encoder at CONFIG's width, LAYERS deep: DIR/t5-v1_1-xxl-LLAYERS/{config.json, model.safetensors, inputs.safetensors, onnx/model.onnx + external data}
    peers.py child NET DIR DTYPE THREADS REPS [BATCH]   # PyTorch timing: one JSON line; writes DIR/out-torch-DTYPE[-B].safetensors
    peers.py load-child NET DIR THREADS       # PyTorch from_pretrained: seconds to a model ready to run, and peak RSS (one JSON line)
    peers.py flops NET DIR                    # profiler FLOP count of one float32 forward: DIR/NET/flops.json
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


T5_INPUT_TOKENS = 24  # real tokens before EOS; the rest of the 77 are padding, masked out as IF's prompt encoder does


def t5_folder(folder, layers):
    return os.path.join(folder, f"t5-v1_1-xxl-L{layers}")


def export_t5(folder, config_path, layers):
    from transformers import T5Config, T5EncoderModel
    with open(config_path) as f:
        cfg = json.load(f)
    cfg = cfg.get("config", cfg)
    cfg.update(num_layers=layers, num_decoder_layers=layers)
    out = t5_folder(folder, layers)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    torch.manual_seed(0)
    model = T5EncoderModel(T5Config(**cfg)).eval()
    model.save_pretrained(out, safe_serialization=True)
    g = torch.Generator().manual_seed(3)
    ids = torch.zeros(1, 77, dtype=torch.int64)  # pad id 0
    ids[0, :T5_INPUT_TOKENS] = torch.randint(2, cfg["vocab_size"], (T5_INPUT_TOKENS,), generator=g)
    ids[0, T5_INPUT_TOKENS] = cfg.get("eos_token_id", 1)
    mask = (torch.arange(77) <= T5_INPUT_TOKENS).to(torch.int64).unsqueeze(0)
    save_file({"input_ids": ids, "attention_mask": mask}, os.path.join(out, "inputs.safetensors"))

    class W(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # Over protobuf's 2 GB the exporter writes every initializer as its own file beside the graph; a folder keeps them together.
    with torch.no_grad():
        torch.onnx.export(W(model), (ids, mask), os.path.join(out, "onnx", "model.onnx"), opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["out"])
    print(f"exported {out}")


def torch_model(net, folder):
    """The model as its library's user loads it, the inputs, and a call taking them."""
    if net.startswith("t5"):
        from transformers import T5EncoderModel
        model = T5EncoderModel.from_pretrained(folder).eval()
        inp = load_file(os.path.join(folder, "inputs.safetensors"))
        return model, inp, lambda m, i, dtype: m(input_ids=i["input_ids"], attention_mask=i["attention_mask"]).last_hidden_state
    from diffusers import UNet2DConditionModel
    model = UNet2DConditionModel.from_pretrained(folder).eval()
    inp = load_file(os.path.join(folder, "inputs.safetensors"))

    def call(m, i, dtype):
        return m(i["sample"].to(dtype), i["timestep"], encoder_hidden_states=i["text"].to(dtype),
                 class_labels=i.get("class_labels"), return_dict=False)[0]
    return model, inp, call


def load_child(net, folder, threads):
    torch.set_num_threads(threads)
    folder = os.path.join(folder, net)
    # The library imports are not part of a load: they are paid once per process, like the runtimes' own start-up.
    if net.startswith("t5"):
        import transformers  # noqa: F401
        weights = os.path.join(folder, "model.safetensors")
    else:
        import diffusers  # noqa: F401
        weights = os.path.join(folder, "diffusion_pytorch_model.safetensors")
    t0 = time.perf_counter()
    model, _, _ = torch_model(net, folder)
    seconds = time.perf_counter() - t0
    print(json.dumps({"side": "pytorch", "version": torch.__version__, "median_s": seconds, "times": [seconds],
                      "peak_rss_kb": peak_rss_kb(), "weight_bytes": os.path.getsize(weights)}))


def flops(net, folder):
    """Profiler FLOPs of one float32 forward, checked against an analytic count of the convolutions and linears."""
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    path = os.path.join(folder, net)
    model, inp, call = torch_model(net, path)
    analytic = {"conv2d": 0, "linear": 0}

    def conv_hook(m, args, out):
        k = m.kernel_size[0] * m.kernel_size[1]
        analytic["conv2d"] += 2 * out.numel() * (m.in_channels // m.groups) * k

    def linear_hook(m, args, out):
        analytic["linear"] += 2 * out.numel() * m.in_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        call(model, inp, torch.float32)  # warm-up, also fills the analytic count
        for h in hooks:
            h.remove()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], with_flops=True) as prof:
            call(model, inp, torch.float32)
    by_op = {}
    for e in prof.events():
        if e.flops:
            by_op[e.name] = by_op.get(e.name, 0) + e.flops
    result = {"net": net, "torch": torch.__version__, "total_flops": sum(by_op.values()), "by_op": by_op,
              "analytic": analytic,
              "note": "torch.profiler(with_flops=True): FLOPs of the ops it has formulas for: 2 per multiply-add in conv2d, "
                      "mm, addmm, bmm, baddbmm; 1 per element in mul and add; softmax, norms and activations are not counted. analytic: 2·out·(in/groups)·k² per Conv2d, 2·out·in per Linear."}
    with open(os.path.join(path, "flops.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


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
        model = model.to(dtype).eval()
        call = lambda m, a: m(*a)  # noqa: E731
    else:
        folder = os.path.join(folder, net)
        model, inp, net_call = torch_model(net, folder)
        model = model.to(dtype)
        args = inp
        call = lambda m, a: net_call(m, a, dtype)  # noqa: E731
        suffix = ""
    times = []
    with torch.no_grad():
        try:
            out = call(model, args)
        except RuntimeError as e:  # e.g. torch 1.13 has no bfloat16 ConvTranspose2d on CPU
            print(json.dumps({"side": "pytorch", "version": torch.__version__, "error": str(e).splitlines()[0], "peak_rss_kb": peak_rss_kb()}))
            return
        for _ in range(reps):
            t0 = time.perf_counter()
            out = call(model, args)
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
    elif cmd == "export-t5":
        export_t5(argv[2], argv[3], int(argv[4]))
    elif cmd == "load-child":
        load_child(argv[2], argv[3], int(argv[4]))
    elif cmd == "flops":
        flops(argv[2], argv[3])
    elif cmd == "child":
        child(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), int(argv[7]) if len(argv) > 7 else 100)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
