using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Diffusion.Net.IO;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Prompts;

/// <summary>
/// Reads a <c>torch.save</c> zip file holding a dict of name → tensor without executing pickle code: a small pickle
/// interpreter that knows only the opcodes such a file uses and calls nothing but a whitelist (OrderedDict, the tensor
/// rebuild functions, typed storages). Anything else — another global, a legacy non-zip file, storage views out of
/// bounds — is refused with a typed exception naming the problem.
/// </summary>
internal static class TorchPickleReader
{
    private const int MaxByteOrderBytes = 16;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["HalfStorage"] = (ScalarType.Float16, 2), ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["DoubleStorage"] = (ScalarType.Float64, 8), ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1), ["ByteStorage"] = (ScalarType.Byte, 1), ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>The dict's entries in file order (the caller owns the tensors).</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="TorchFileFormatException">The file is not a tensor dict in torch's zip format, uses anything outside the whitelist, is damaged, or exceeds a budget.</exception>
    public static List<(string Name, Tensor Tensor)> ReadTensorDictionary(string path, InputLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        limits ??= InputLimits.Default;
        limits.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        UntrustedFile.CheckedLength(path, long.MaxValue, problem => new TorchFileFormatException(path, problem));
        using var stream = UntrustedFile.Open(path);
        Span<byte> magic = stackalloc byte[4];
        if (stream.Read(magic) < 4 || !(magic[0] == 0x50 && magic[1] == 0x4B))
            throw new TorchFileFormatException(path, "it is not a torch.save zip file (a legacy pickle or another format); re-save it with torch ≥ 1.6");
        stream.Position = 0;
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException) { throw new TorchFileFormatException(path, "it is not a readable zip file", e); }
        using (zip)
        {
            try
            {
                return Read(path, zip, limits);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException && e is not InvalidInputException)
            {
                // ZipArchive reports BZip2/LZMA members, bad local headers and inflate errors without naming the file.
                throw new TorchFileFormatException(path, $"a zip member cannot be read ({e.Message})", e);
            }
        }
    }

    private static List<(string Name, Tensor Tensor)> Read(string path, ZipArchive zip, InputLimits limits)
    {
        var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pickles.Count != 1) throw new TorchFileFormatException(path, $"it has {pickles.Count} data.pkl entries; torch.save files have one");
        var prefix = pickles[0].FullName[..^"data.pkl".Length];
        var order = zip.GetEntry(prefix + "byteorder");
        if (order is not null)
        {
            // Read only what "little" needs: a huge byteorder member must not be inflated just to be refused.
            if (order.Length > MaxByteOrderBytes) throw new TorchFileFormatException(path, $"the byteorder member is {order.Length} bytes; it holds one word");
            var value = Encoding.ASCII.GetString(ReadEntry(path, order, MaxByteOrderBytes)).Trim();
            if (value != "little") throw new TorchFileFormatException(path, "it stores big-endian or unknown-order data; only little-endian is supported");
        }
        if (pickles[0].Length > limits.MaxPickleBytes) throw new TorchFileFormatException(path, $"its pickle is {pickles[0].Length} bytes, more than the limit of {limits.MaxPickleBytes}");
        byte[] pickle = ReadEntry(path, pickles[0], limits.MaxPickleBytes);
        var machine = new Machine(path, pickle, key => zip.GetEntry(prefix + "data/" + key), limits);
        var root = machine.Run();
        var result = new List<(string, Tensor)>();
        try
        {
            if (root is not OrderedMap map) throw new TorchFileFormatException(path, $"it holds a {Describe(root)}, not a dict of tensors");
            foreach (var (k, v) in map.Items)
            {
                if (k is not string name) throw new TorchFileFormatException(path, $"a dict key is a {Describe(k)}, not a string");
                if (v is not Tensor t) throw new TorchFileFormatException(path, $"the value of \"{name}\" is a {Describe(v)}, not a tensor");
                result.Add((name, t));
            }
            return result;
        }
        catch
        {
            foreach (var t in machine.Tensors) t.Dispose();
            throw;
        }
    }

    /// <summary>An entry's bytes, never more than its declared length (at most <paramref name="max"/>), CRC-checked.</summary>
    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long max)
    {
        if (entry.Length > max || entry.Length > Array.MaxLength) throw new TorchFileFormatException(path, $"the member {entry.FullName} is {entry.Length} bytes, more than the limit of {max}");
        var bytes = new byte[entry.Length];
        using (var s = entry.Open()) Fill(path, entry, s, bytes);
        return bytes;
    }

    /// <summary>Fills <paramref name="destination"/> from the member, requires its end there, and checks the zip CRC.</summary>
    private static void Fill(string path, ZipArchiveEntry entry, Stream s, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = s.Read(destination[done..]);
            if (n <= 0) throw new TorchFileFormatException(path, $"the member {entry.FullName} is truncated");
            done += n;
        }
        Span<byte> extra = stackalloc byte[1];
        if (s.Read(extra) > 0) throw new TorchFileFormatException(path, $"the member {entry.FullName} holds more than its declared {entry.Length} bytes");
        if (Crc32.Compute(destination) != entry.Crc32) throw new TorchFileFormatException(path, $"the member {entry.FullName} fails its CRC check (the file is damaged)");
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        string => "string",
        long => "integer",
        double => "float",
        bool => "bool",
        object[] => "tuple",
        List<object?> => "list",
        OrderedMap => "dict",
        Tensor => "tensor",
        Global g => $"reference to {g.Module}.{g.Name}",
        _ => o.GetType().Name,
    };

    private sealed record Global(string Module, string Name);

    private sealed class OrderedMap
    {
        public List<(object? Key, object? Value)> Items { get; } = [];
    }

    private sealed record StorageRef(ScalarType Type, int ElementSize, string Key, long Count);

    private sealed class Machine(string path, byte[] data, Func<string, ZipArchiveEntry?> storageEntry, InputLimits limits)
    {
        private long _elements;
        private readonly Stack<object?> _stack = new();
        private readonly Stack<int> _marks = new();
        private readonly Dictionary<long, object?> _memo = [];
        private readonly Dictionary<string, Tensor> _storages = new(StringComparer.Ordinal);
        private long _storageBytes;
        private int _pos;

        public List<Tensor> Tensors { get; } = [];

        public object? Run()
        {
            try { return Execute(); }
            catch
            {
                foreach (var t in _storages.Values) t.Dispose();
                foreach (var t in Tensors) t.Dispose();
                throw;
            }
            finally
            {
                foreach (var t in _storages.Values) t.Dispose();
            }
        }

        private object? Execute()
        {
            while (true)
            {
                if (_pos >= data.Length) throw Bad("the pickle ends without STOP");
                byte op = data[_pos++];
                switch (op)
                {
                    case 0x80: Take(1); break;                                   // PROTO
                    case 0x95: Take(8); break;                                   // FRAME
                    case (byte)'}': _stack.Push(new OrderedMap()); break;        // EMPTY_DICT
                    case (byte)']': _stack.Push(new List<object?>()); break;     // EMPTY_LIST
                    case (byte)')': _stack.Push(Array.Empty<object?>()); break;  // EMPTY_TUPLE
                    case (byte)'(': _marks.Push(_stack.Count); break;            // MARK
                    case (byte)'X': _stack.Push(Utf8(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                    case 0x8c: _stack.Push(Utf8(Take(1)[0])); break;             // SHORT_BINUNICODE
                    case 0x8d: _stack.Push(Utf8(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;
                    case (byte)'q': _memo[Take(1)[0]] = Peek(); break;          // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                    case 0x94: _memo[_memo.Count] = Peek(); break;               // MEMOIZE
                    case (byte)'h': _stack.Push(Memo(Take(1)[0])); break;        // BINGET
                    case (byte)'j': _stack.Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                    case (byte)'c': { var module = Line(); var name = Line(); _stack.Push(new Global(module, name)); break; }
                    case 0x93: { var name = Pop() as string; var module = Pop() as string; _stack.Push(new Global(module ?? throw Bad("STACK_GLOBAL without a module name"), name ?? throw Bad("STACK_GLOBAL without a name"))); break; }
                    case (byte)'J': _stack.Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                    case (byte)'K': _stack.Push((long)Take(1)[0]); break;
                    case (byte)'M': _stack.Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                    case 0x8a: _stack.Push(Long1()); break;                      // LONG1
                    case (byte)'G': _stack.Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                    case (byte)'t': _stack.Push(PopMark().ToArray()); break;     // TUPLE
                    case 0x85: _stack.Push(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b, c }); break; }
                    case 0x88: _stack.Push(true); break;
                    case 0x89: _stack.Push(false); break;
                    case (byte)'N': _stack.Push(null); break;
                    case (byte)'Q': _stack.Push(PersistentLoad(Pop())); break;   // BINPERSID
                    case (byte)'R': { var args = Pop() as object?[] ?? throw Bad("REDUCE without an argument tuple"); _stack.Push(Call(Pop(), args)); break; }
                    case (byte)'s': { var v = Pop(); var k = Pop(); Map(Peek()).Items.Add((k, v)); break; }
                    case (byte)'u': { var items = PopMark(); var map = Map(Peek()); for (int i = 0; i + 1 < items.Count; i += 2) map.Items.Add((items[i], items[i + 1])); break; }
                    case (byte)'a': { var v = Pop(); List(Peek()).Add(v); break; }
                    case (byte)'e': { var items = PopMark(); List(Peek()).AddRange(items); break; }
                    case (byte)'b':                                               // BUILD: only an empty state on a dict or tensor
                    {
                        var state = Pop();
                        bool empty = state is null || state is OrderedMap { Items.Count: 0 } || state is object?[] { Length: 0 };
                        if (!empty) throw Bad($"BUILD with a {Describe(state)} state would set object attributes; refused");
                        break;
                    }
                    case (byte)'.': return Pop();                                // STOP
                    default: throw Bad($"opcode 0x{op:X2} at byte {_pos - 1} is outside what a tensor dict needs; refused");
                }
            }
        }

        private object? Call(object? callable, object?[] args)
        {
            if (callable is not Global g) throw Bad($"REDUCE on a {Describe(callable)}; refused");
            switch ($"{g.Module}.{g.Name}")
            {
                case "collections.OrderedDict":
                    if (args.Length != 0) throw Bad("OrderedDict with arguments; refused");
                    return new OrderedMap();
                case "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_tensor":
                    return Rebuild(args);
                case "torch._utils._rebuild_parameter":
                    return args.Length >= 1 && args[0] is Tensor t ? t : throw Bad("_rebuild_parameter without a tensor");
                default:
                    throw Bad($"the pickle calls {g.Module}.{g.Name}, which is not a tensor or a dict; refusing to run it");
            }
        }

        private Tensor Rebuild(object?[] args)
        {
            if (args.Length < 4 || args[0] is not Tensor storage || args[1] is not long offset || args[2] is not object?[] size || args[3] is not object?[] stride)
                throw Bad("a tensor rebuild with unexpected arguments");
            var shape = size.Select(v => v is long l && l >= 0 ? l : throw Bad("a tensor with a negative or non-integer size")).ToArray();
            var strides = stride.Select(v => v is long l && l >= 0 ? l : throw Bad("a tensor with a negative or non-integer stride")).ToArray();
            if (shape.Length != strides.Length) throw Bad("a tensor whose size and stride lengths differ");
            if (shape.Length > 16) throw Bad($"a tensor with {shape.Length} dimensions");
            if (offset < 0) throw Bad("a tensor view at a negative storage offset");
            bool empty = shape.Any(d => d == 0);
            // The rebuilt tensor is materialised (contiguous copy), so its own size is what costs memory, not its
            // storage's: a zero-stride view of 4 floats may claim 2³² elements. Every product and sum is checked.
            long elements = 1, extent = offset;
            try
            {
                foreach (var d in shape) elements = checked(elements * d);
                for (int i = 0; i < shape.Length; i++) if (shape[i] > 0) extent = checked(extent + checked((shape[i] - 1) * strides[i]));
            }
            catch (OverflowException) { throw Bad("a tensor whose size or stride arithmetic overflows"); }
            if (!empty && extent >= storage.shape[0]) throw Bad($"a tensor view reaches element {extent} of a {storage.shape[0]}-element storage");
            if (elements > limits.MaxTensorElements - _elements)
                throw Bad($"the tensors exceed the budget of {limits.MaxTensorElements} elements (InputLimits.MaxTensorElements)");
            _elements += elements;
            using var view = storage.as_strided(shape, strides, offset);
            // A copy, so the tensor does not keep the whole storage alive (and the contiguous temporary is freed now).
            using var dense = view.contiguous();
            var t = dense.clone().DetachFromDisposeScope();
            Tensors.Add(t);
            return t;
        }

        private Tensor PersistentLoad(object? pid)
        {
            if (pid is not object?[] { Length: 5 } tuple || tuple[0] as string != "storage")
                throw Bad("a persistent id that is not a storage reference");
            var type = tuple[1] as Global ?? throw Bad("a storage without a type");
            if (type.Module is not ("torch" or "torch.storage") || !StorageTypes.TryGetValue(type.Name, out var info))
                throw Bad($"the storage type {type.Module}.{type.Name} is not supported");
            var key = tuple[2] as string ?? throw Bad("a storage without a key");
            if (key.Length == 0 || key.Contains('/') || key.Contains('\\') || key.Contains("..")) throw Bad($"the storage key '{key}' is not a plain name");
            if (tuple[4] is not long count || count < 0) throw Bad("a storage without an element count");
            if (_storages.TryGetValue(key, out var cached)) return cached;
            var entry = storageEntry(key) ?? throw Bad($"the storage data/{key} is missing from the archive");
            if (count > long.MaxValue / info.Size) throw Bad($"the storage data/{key} claims too many elements");
            long bytes = count * info.Size;
            if (entry.Length != bytes) throw Bad($"the storage data/{key} has {entry.Length} bytes; {count} elements need {bytes}");
            if (bytes > limits.MaxStorageBytes - _storageBytes) throw Bad($"the storages exceed the budget of {limits.MaxStorageBytes} bytes (InputLimits.MaxStorageBytes)");
            _storageBytes += bytes;
            if (bytes > int.MaxValue) throw Bad($"the storage data/{key} is larger than 2 GB");
            var t = empty([count], info.Type).DetachFromDisposeScope();
            try
            {
                using var s = entry.Open();
                Fill(path, entry, s, t.bytes);
            }
            catch
            {
                t.Dispose();
                throw;
            }
            _storages[key] = t;
            return t;
        }

        private TorchFileFormatException Bad(string problem) => new(path, problem);

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > data.Length - _pos) throw Bad("the pickle is truncated");
            var span = data.AsSpan(_pos, n);
            _pos += n;
            return span;
        }

        private string Utf8(ulong n)
        {
            // Compared before any cast: a length of 2³¹ or more must read as truncation, not overflow.
            if (n > (ulong)(data.Length - _pos)) throw Bad("the pickle is truncated (a string runs past its end)");
            var bytes = Take((int)n);
            try { return new UTF8Encoding(false, true).GetString(bytes); }
            catch (DecoderFallbackException) { throw Bad("a string that is not valid UTF-8"); }
        }

        private string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0 || end - _pos > 256) throw Bad("a malformed GLOBAL");
            var s = Encoding.ASCII.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return s;
        }

        private long Long1()
        {
            int n = Take(1)[0];
            if (n > 8) throw Bad("an integer wider than 64 bits");
            var bytes = Take(n);
            long value = 0;
            for (int i = n - 1; i >= 0; i--) value = (value << 8) | bytes[i];
            if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0) value -= 1L << (8 * n);
            return value;
        }

        private object? Pop() => _stack.Count > 0 ? _stack.Pop() : throw Bad("the pickle pops an empty stack");

        private object? Peek() => _stack.Count > 0 ? _stack.Peek() : throw Bad("the pickle reads an empty stack");

        private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"memo entry {key} is undefined");

        private List<object?> PopMark()
        {
            if (_marks.Count == 0) throw Bad("the pickle uses a MARK it never set");
            int mark = _marks.Pop();
            var items = new List<object?>();
            while (_stack.Count > mark) items.Add(_stack.Pop());
            items.Reverse();
            return items;
        }

        private OrderedMap Map(object? o) => o as OrderedMap ?? throw Bad($"SETITEM on a {Describe(o)}");

        private List<object?> List(object? o) => o as List<object?> ?? throw Bad($"APPEND on a {Describe(o)}");
    }
}
