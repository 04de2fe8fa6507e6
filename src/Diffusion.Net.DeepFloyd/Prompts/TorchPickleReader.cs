using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
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
    private const long MaxPickleBytes = 64L * 1024 * 1024;
    private const long MaxTotalStorageBytes = 32L * 1024 * 1024 * 1024;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["HalfStorage"] = (ScalarType.Float16, 2), ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["DoubleStorage"] = (ScalarType.Float64, 8), ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1), ["ByteStorage"] = (ScalarType.Byte, 1), ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>The dict's entries in file order (the caller owns the tensors).</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is not a tensor dict in torch's zip format, or uses anything outside the whitelist.</exception>
    public static List<(string Name, Tensor Tensor)> ReadTensorDictionary(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        if (stream.Read(magic) < 4 || !(magic[0] == 0x50 && magic[1] == 0x4B))
            throw new InvalidDataException($"'{path}' is not a torch.save zip file (a legacy pickle or another format); re-save it with torch ≥ 1.6.");
        stream.Position = 0;
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}' is not a readable zip file.", e); }
        using (zip)
        {
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
            if (pickles.Count != 1) throw new InvalidDataException($"'{path}' has {pickles.Count} data.pkl entries; torch.save files have one.");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            var order = zip.GetEntry(prefix + "byteorder");
            if (order is not null)
            {
                using var r = new StreamReader(order.Open());
                var value = r.ReadToEnd().Trim();
                if (value != "little") throw new InvalidDataException($"'{path}' stores {value}-endian data; only little-endian is supported.");
            }
            if (pickles[0].Length > MaxPickleBytes) throw new InvalidDataException($"'{path}' has a {pickles[0].Length}-byte pickle; more than the {MaxPickleBytes}-byte limit.");
            byte[] pickle;
            using (var s = pickles[0].Open())
            using (var m = new MemoryStream())
            {
                s.CopyTo(m);
                pickle = m.ToArray();
            }
            var machine = new Machine(path, pickle, key => zip.GetEntry(prefix + "data/" + key));
            var root = machine.Run();
            if (root is not OrderedMap map) throw new InvalidDataException($"'{path}' holds a {Describe(root)}, not a dict of tensors.");
            var result = new List<(string, Tensor)>();
            try
            {
                foreach (var (k, v) in map.Items)
                {
                    if (k is not string name) throw new InvalidDataException($"'{path}' has a dict key that is a {Describe(k)}, not a string.");
                    if (v is not Tensor t) throw new InvalidDataException($"'{path}': the value of \"{name}\" is a {Describe(v)}, not a tensor.");
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

    private sealed class Machine(string path, byte[] data, Func<string, ZipArchiveEntry?> storageEntry)
    {
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
                    case (byte)'X': _stack.Push(Utf8(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                    case 0x8c: _stack.Push(Utf8(Take(1)[0])); break;             // SHORT_BINUNICODE
                    case 0x8d: _stack.Push(Utf8(checked((int)BinaryPrimitives.ReadUInt64LittleEndian(Take(8))))); break;
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
            long extent = offset;
            bool empty = shape.Any(d => d == 0);
            for (int i = 0; i < shape.Length; i++) if (shape[i] > 0) extent += (shape[i] - 1) * strides[i];
            if (offset < 0 || (!empty && extent >= storage.shape[0])) throw Bad($"a tensor view reaches element {extent} of a {storage.shape[0]}-element storage");
            using var view = storage.as_strided(shape, strides, offset);
            var t = view.contiguous().clone().DetachFromDisposeScope();
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
            long bytes = checked(count * info.Size);
            if (entry.Length != bytes) throw Bad($"the storage data/{key} has {entry.Length} bytes; {count} elements need {bytes}");
            _storageBytes += bytes;
            if (_storageBytes > MaxTotalStorageBytes) throw Bad("the tensors exceed 32 GB");
            if (bytes > int.MaxValue) throw Bad($"the storage data/{key} is larger than 2 GB");
            var t = empty([count], info.Type).DetachFromDisposeScope();
            using (var s = entry.Open())
            {
                var span = t.bytes;
                int done = 0;
                while (done < span.Length)
                {
                    int n = s.Read(span[done..]);
                    if (n <= 0) { t.Dispose(); throw Bad($"the storage data/{key} is truncated"); }
                    done += n;
                }
            }
            _storages[key] = t;
            return t;
        }

        private InvalidDataException Bad(string problem) => new($"'{path}': {problem}.");

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || _pos + n > data.Length) throw Bad("the pickle is truncated");
            var span = data.AsSpan(_pos, n);
            _pos += n;
            return span;
        }

        private string Utf8(int n)
        {
            var bytes = Take(n);
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
