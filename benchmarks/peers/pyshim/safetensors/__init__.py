"""Pure-Python stand-in for the `safetensors` package (not served for Debian's Python here).

Implements the published format only: u64-LE header length, JSON header, raw little-endian data. Enough for
diffusers' `load_file` / `save_file` / `safe_open` calls in the peer benchmarks; a test tool, never shipped.
"""


def __getattr__(name):  # `from safetensors import safe_open` (transformers), without importing torch up front
    if name == "safe_open":
        from .torch import safe_open
        return safe_open
    raise AttributeError(name)
