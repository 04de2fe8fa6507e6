"""PyTorch reference of the CS180 Part B UNets, with the state-dict names Diffusion.Net uses.

A straightforward implementation of the spec (shared/spec/cs180-project5.md §3.1, §3.4, §3.7). Checkpoints written by
Diffusion.Net (`model.safetensors` beside each training checkpoint) load into these modules with `load_state_dict`,
and `check_mnist_unet.py` compares the two implementations' outputs on the same weights and inputs.

Names:
  Conv / DownConv / UpConv / Unflatten:  conv (Conv2d or ConvTranspose2d), norm (BatchNorm2d)
  ConvBlock:                              conv1, conv2
  DownBlock / UpBlock:                    down / up, block
  FCBlock:                                fc1, fc2
  UNets:                                  first_block, down1, down2, flatten, unflatten, up1, up2, last_block, out,
                                          fc1_t, fc2_t (time), fc1_c, fc2_c (class)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.gelu(self.norm(self.conv(x)))


class DownConv(Conv):
    def __init__(self, cin, cout):
        super().__init__(cin, cout)
        self.conv = nn.Conv2d(cin, cout, 3, 2, 1)


class UpConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.gelu(self.norm(self.conv(x)))


class Flatten(nn.Module):
    def forward(self, x):
        return F.gelu(F.avg_pool2d(x, 7))


class Unflatten(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.ConvTranspose2d(c, c, 7, 7, 0)
        self.norm = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.gelu(self.norm(self.conv(x)))


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = Conv(cin, cout)
        self.conv2 = Conv(cout, cout)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class DownBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.down = DownConv(cin, cout)
        self.block = ConvBlock(cout, cout)

    def forward(self, x):
        return self.block(self.down(x))


class UpBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = UpConv(cin, cout)
        self.block = ConvBlock(cout, cout)

    def forward(self, x):
        return self.block(self.up(x))


class FCBlock(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.fc1 = nn.Linear(fin, fout)
        self.fc2 = nn.Linear(fout, fout)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class _Body(nn.Module):
    def __init__(self, cin, d):
        super().__init__()
        self.first_block = ConvBlock(cin, d)
        self.down1 = DownBlock(d, d)
        self.down2 = DownBlock(d, 2 * d)
        self.flatten = Flatten()
        self.unflatten = Unflatten(2 * d)
        self.up1 = UpBlock(4 * d, d)
        self.up2 = UpBlock(2 * d, d)
        self.last_block = ConvBlock(2 * d, d)
        self.out = nn.Conv2d(d, cin, 3, 1, 1)

    def body(self, x, at_unflatten=None, at_up1=None):
        e1 = self.first_block(x)
        e2 = self.down1(e1)
        e3 = self.down2(e2)
        u0 = self.unflatten(self.flatten(e3))
        if at_unflatten is not None:
            u0 = at_unflatten(u0)
        u1 = self.up1(torch.cat([e3, u0], 1))
        if at_up1 is not None:
            u1 = at_up1(u1)
        u2 = self.up2(torch.cat([e2, u1], 1))
        return self.out(self.last_block(torch.cat([e1, u2], 1)))


class UnconditionalUNet(_Body):
    def forward(self, x):
        return self.body(x)


class TimeConditionalUNet(_Body):
    def __init__(self, cin=1, d=64):
        super().__init__(cin, d)
        self.fc1_t = FCBlock(1, 2 * d)
        self.fc2_t = FCBlock(1, d)

    def forward(self, x, t):
        t1 = self.fc1_t(t[:, None])[:, :, None, None]
        t2 = self.fc2_t(t[:, None])[:, :, None, None]
        return self.body(x, lambda u: u + t1, lambda u: u + t2)


class ClassConditionalUNet(_Body):
    def __init__(self, cin=1, d=64, num_classes=10):
        super().__init__(cin, d)
        self.num_classes = num_classes
        self.fc1_t = FCBlock(1, 2 * d)
        self.fc2_t = FCBlock(1, d)
        self.fc1_c = FCBlock(num_classes, 2 * d)
        self.fc2_c = FCBlock(num_classes, d)

    def forward(self, x, c, t, mask=None):
        """c: int64 labels (−1 = null class); t: normalised (0, 1]; mask == 0 drops the condition (CS180 skeleton)."""
        keep = (c >= 0)
        if mask is not None:
            keep = keep & (mask != 0)
        one_hot = F.one_hot(c.clamp(0, self.num_classes - 1), self.num_classes).to(x.dtype) * keep[:, None].to(x.dtype)
        c1 = self.fc1_c(one_hot)[:, :, None, None]
        c2 = self.fc2_c(one_hot)[:, :, None, None]
        t1 = self.fc1_t(t[:, None])[:, :, None, None]
        t2 = self.fc2_t(t[:, None])[:, :, None, None]
        return self.body(x, lambda u: c1 * u + t1, lambda u: c2 * u + t2)
