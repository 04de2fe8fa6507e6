"""`safetensors.torch` subset over the pure-Python reader/writer (see the package docstring)."""
import json
import struct

import torch

_DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
       "I64": torch.int64, "I32": torch.int32, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
_NAME = {v: k for k, v in _DT.items()}


def _header(f):
    n = struct.unpack("<Q", f.read(8))[0]
    return json.loads(f.read(n)), 8 + n


def load_file(path, device="cpu"):
    # One read per tensor into its own buffer: the file is never held whole beside the tensors (peak ≈ 1× weights).
    out = {}
    with open(path, "rb") as f:
        header, base = _header(f)
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            dt = _DT[info["dtype"]]
            if end == begin:
                out[name] = torch.empty(info["shape"], dtype=dt)
                continue
            buf = bytearray(end - begin)
            f.seek(base + begin)
            f.readinto(buf)
            out[name] = torch.frombuffer(buf, dtype=dt).reshape(info["shape"])
    return out


def save_file(tensors, path, metadata=None):
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    names = sorted(tensors)
    for name in names:
        t = tensors[name]
        size = t.numel() * t.element_size()
        header[name] = {"dtype": _NAME[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name in names:  # streamed: one tensor's bytes at a time
            t = tensors[name].detach().contiguous().cpu()
            if t.numel():
                f.write(t.reshape(-1).view(torch.uint8).numpy().tobytes())


class safe_open:  # noqa: N801 (the real package's name)
    def __init__(self, path, framework="pt", device="cpu"):
        self._t = load_file(path)
        with open(path, "rb") as f:
            self._meta = _header(f)[0].get("__metadata__")

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def keys(self):
        return list(self._t)

    def get_tensor(self, name):
        return self._t[name]

    def metadata(self):
        return self._meta


def storage_ptr(tensor):
    """Address of the tensor's storage (transformers uses it to find tied weights)."""
    return tensor.storage().data_ptr() if tensor.numel() else 0


def storage_size(tensor):
    """Bytes of the tensor's storage."""
    return tensor.storage().nbytes() if tensor.numel() else 0
