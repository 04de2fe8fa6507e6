"""Import-only stand-in for the `tokenizers` package (not served for Debian's Python here).

transformers 4.44 imports `tokenizers` names at module level in integrations/ggml.py, which modeling_utils pulls in,
even when no fast tokenizer is used. The peer rows feed token ids directly, so nothing here is ever called; any use
fails loudly. There is no dist-info beside it, so transformers' is_tokenizers_available() stays False.
"""


class _Absent:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return _Absent(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        raise ImportError(f"tokenizers.{self._name} is not available: pyshim/tokenizers is an import-only stand-in")


def __getattr__(name):  # any name transformers imports (Tokenizer, AddedToken, decoders, ...)
    if name.startswith("__"):
        raise AttributeError(name)
    return _Absent(name)
