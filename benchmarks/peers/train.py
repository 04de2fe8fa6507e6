"""The PyTorch side of the training row: the CS180 class-conditioned UNet trained on one fixed batch.

A test tool only (Debian's python3-torch 1.13), never a dependency of the library. The C# harness
(benchmarks/Diffusion.Net.Benchmarks.Peers, `train`) calls it; see benchmarks/peers/README.md.

    train.py prepare DIR [BATCH]                                 # DIR/mnist/train-B.safetensors: x_t, c, t, target
    train.py child DIR DTYPE THREADS CHECK WARMUP STEPS [BATCH]  # one JSON line; writes DIR/mnist/train-out-torch-DTYPE.safetensors
    train.py profile DIR THREADS [BATCH]                         # torch.profiler's table of one float32 step after one warm-up step

The step mirrors Diffusion.Net's DiffusionTrainer with its ε-prediction objective, with the objective's random draws
(t, ε, condition dropout) read from the batch file instead:
  - float32: the network in float32 and torch.optim.Adam on its parameters;
  - bfloat16: the whole network (parameters and BatchNorm buffers) in bfloat16, the input cast to bfloat16, the
    prediction and the target (ε rounded to bfloat16, as the library draws it) taken to float32 for the MSE, and Adam
    on float32 master copies of the parameters, whose values are copied back into the bfloat16 network after each step.
The network sees t as (i + 1)/T, T = 300, like the library's ClassConditionalUNet.Predict.
"""
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE]

from peers import mnist_model, peak_rss_kb  # noqa: E402  (peers.py puts pyshim and tools/pytorch_reference on the path)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

TIMESTEPS = 300
LEARNING_RATE = 1e-3  # MnistRecipes.ClassConditioned
CONDITION_DROPOUT = 0.1


def batch_path(folder, batch):
    return os.path.join(folder, "mnist", f"train-{batch}.safetensors")


def prepare(folder, batch):
    """One ε-prediction training batch of the CS180 recipe, drawn once: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε."""
    g = torch.Generator().manual_seed(3)
    x0 = torch.rand(batch, 1, 28, 28, generator=g)
    eps = torch.randn(batch, 1, 28, 28, generator=g)
    t = torch.randint(0, TIMESTEPS, (batch,), generator=g, dtype=torch.int64)
    betas = torch.linspace(1e-4, 0.02, TIMESTEPS, dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0)[t].float().view(-1, 1, 1, 1)
    xt = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps
    c = torch.arange(batch, dtype=torch.int64) % 10
    c[torch.rand(batch, generator=g) < CONDITION_DROPOUT] = -1
    save_file({"x": xt.contiguous(), "c": c, "t": t, "target": eps}, batch_path(folder, batch))
    print(f"wrote {batch_path(folder, batch)}")


class MasterAdam:
    """torch.optim.Adam on float32 masters of a network's (possibly bfloat16) parameters."""

    def __init__(self, model, lr):
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.separate = any(p.dtype != torch.float32 for p in self.params)
        self.masters = [p.detach().float().clone().requires_grad_(True) for p in self.params] if self.separate else self.params
        self.opt = torch.optim.Adam(self.masters, lr=lr)

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self):
        if self.separate:
            for p, m in zip(self.params, self.masters):
                m.grad = None if p.grad is None else p.grad.float()
        self.opt.step()
        if self.separate:
            with torch.no_grad():
                for p, m in zip(self.params, self.masters):
                    p.copy_(m)


def setup(folder, dtype, batch):
    """The exported network in DTYPE, in training mode, and a function that trains it N steps on the fixed batch."""
    mnist = os.path.join(folder, "mnist")
    weights = load_file(os.path.join(mnist, "model.safetensors"))
    model = mnist_model(weights["first_block.conv1.conv.weight"].shape[0])
    model.load_state_dict(weights, strict=True)
    model = model.to(dtype).train()
    data = load_file(batch_path(folder, batch))
    x = data["x"].to(dtype)
    c = data["c"]
    t = ((data["t"].float() + 1) / TIMESTEPS).to(dtype)
    target = data["target"].to(dtype).float()

    def run(optimizer, n, times=None):
        losses = []
        for _ in range(n):
            t0 = time.perf_counter()
            optimizer.zero_grad()
            loss = F.mse_loss(model(x, c, t).float(), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if times is not None:
                times.append(time.perf_counter() - t0)
        return losses
    return model, run


def profile(folder, threads, batch):
    torch.set_num_threads(threads)
    model, run = setup(folder, torch.float32, batch)
    optimizer = MasterAdam(model, LEARNING_RATE)
    run(optimizer, 1)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        run(optimizer, 1)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def child(folder, dtype_name, threads, check_steps, warmup, steps, batch):
    torch.set_num_threads(threads)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype_name]
    mnist = os.path.join(folder, "mnist")
    model, run = setup(folder, dtype, batch)

    try:
        if check_steps > 0:
            optimizer = MasterAdam(model, LEARNING_RATE)
            losses = run(optimizer, check_steps)
            state = {k: v.float() for k, v in model.state_dict().items() if v.is_floating_point()}
            state.update({name: m.detach() for (name, _), m in zip(
                [(n, p) for n, p in model.named_parameters() if p.requires_grad], optimizer.masters)})
            state["loss"] = torch.tensor(losses, dtype=torch.float32)
            save_file(state, os.path.join(mnist, f"train-out-torch-{dtype_name}.safetensors"))
        # A fresh optimizer for the timed steps, as the C# child starts a second Train call.
        optimizer = MasterAdam(model, LEARNING_RATE)
        run(optimizer, warmup)
        times = []
        run(optimizer, steps, times)
    except RuntimeError as e:  # e.g. torch 1.13 has no bfloat16 ConvTranspose2d on CPU
        print(json.dumps({"side": "pytorch", "version": torch.__version__, "error": str(e).splitlines()[0], "peak_rss_kb": peak_rss_kb()}))
        return
    print(json.dumps({"side": "pytorch", "version": torch.__version__, "median_s": statistics.median(times), "times": times,
                      "batch": batch, "peak_rss_kb": peak_rss_kb()}))


def main(argv):
    if len(argv) >= 3 and argv[1] == "prepare":
        prepare(argv[2], int(argv[3]) if len(argv) > 3 else 128)
    elif len(argv) >= 4 and argv[1] == "profile":
        profile(argv[2], int(argv[3]), int(argv[4]) if len(argv) > 4 else 128)
    elif len(argv) >= 8 and argv[1] == "child":
        child(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]), int(argv[7]), int(argv[8]) if len(argv) > 8 else 128)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
