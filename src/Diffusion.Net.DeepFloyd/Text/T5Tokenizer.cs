using System.Text;
using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.IO;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Text;

/// <summary>Token ids and attention mask of a batch of prompts (int64 [B, L]); owns both tensors.</summary>
public sealed class TokenizedPrompts : IDisposable
{
    internal TokenizedPrompts(Tensor ids, Tensor mask)
    {
        InputIds = ids;
        AttentionMask = mask;
    }

    /// <summary>[B, L].</summary>
    public Tensor InputIds { get; }

    /// <summary>[B, L], 1 for content and EOS, 0 for padding.</summary>
    public Tensor AttentionMask { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
    }
}

/// <summary>
/// transformers' slow T5Tokenizer (legacy mode) over a SentencePiece unigram <c>spiece.model</c>, as DeepFloyd IF
/// calls it: special and sentinel tokens (<c>&lt;pad&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>,
/// <c>&lt;extra_id_N&gt;</c>) are split out literally (sentinels swallow the whitespace beside them), every other chunk
/// goes through SentencePiece (normalisation, dummy prefix, Viterbi segmentation), EOS is appended, and the IF call
/// truncates to 76 content ids + EOS and right-pads with 0 to 77.
/// </summary>
public sealed class T5Tokenizer
{
    private readonly SentencePieceTokenizer _sp;
    private readonly Dictionary<string, int> _special;
    private readonly string[] _specialByLength;

    private T5Tokenizer(SentencePieceTokenizer sp, int pieceCount, int extraIds)
    {
        _sp = sp;
        PieceCount = pieceCount;
        ExtraIds = extraIds;
        _special = new Dictionary<string, int>(StringComparer.Ordinal) { ["<pad>"] = PadId, ["</s>"] = EosId, ["<unk>"] = UnkId };
        for (int i = 0; i < extraIds; i++) _special[$"<extra_id_{i}>"] = pieceCount - 1 + extraIds - i;
        _specialByLength = _special.Keys.OrderByDescending(k => k.Length).ToArray();
    }

    /// <summary>The padding id.</summary>
    public const int PadId = 0;

    /// <summary>The end-of-sequence id.</summary>
    public const int EosId = 1;

    /// <summary>The unknown-piece id.</summary>
    public const int UnkId = 2;

    /// <summary>DeepFloyd IF's sequence length.</summary>
    public const int IFMaxLength = 77;

    /// <summary>Pieces in the SentencePiece model.</summary>
    public int PieceCount { get; }

    /// <summary>Sentinel tokens appended after the pieces.</summary>
    public int ExtraIds { get; }

    /// <summary>len(tokenizer): pieces plus sentinels.</summary>
    public int Count => PieceCount + ExtraIds;

    /// <summary>Loads <c>spiece.model</c> (and <c>tokenizer_config.json</c> beside it for <c>extra_ids</c>, default 100).</summary>
    /// <exception cref="FileNotFoundException">The model is missing.</exception>
    /// <exception cref="ModelConfigException">The model cannot be read.</exception>
    public static T5Tokenizer Load(string spieceModelPath) => Load(spieceModelPath, null);

    /// <summary>Loads <c>spiece.model</c> within <paramref name="limits"/> (model and config sizes).</summary>
    /// <exception cref="FileNotFoundException">The model is missing.</exception>
    /// <exception cref="ModelConfigException">The model cannot be read, or exceeds a budget.</exception>
    public static T5Tokenizer Load(string spieceModelPath, InputLimits? limits)
    {
        ArgumentException.ThrowIfNullOrEmpty(spieceModelPath);
        limits ??= InputLimits.Default;
        if (!File.Exists(spieceModelPath)) throw new FileNotFoundException($"SentencePiece model '{spieceModelPath}' does not exist.", spieceModelPath);
        var bytes = UntrustedFile.ReadAllBytes(spieceModelPath, limits.MaxTokenizerModelBytes, problem => new ModelConfigException(spieceModelPath, null, problem));
        int extraIds = 100;
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(spieceModelPath))!, "tokenizer_config.json");
        if (File.Exists(configPath)) extraIds = JsonConfig.Load(configPath, limits).Int("extra_ids", 100);
        if (extraIds is < 0 or > 1000) throw new ModelConfigException(configPath, "extra_ids", $"{extraIds} is out of range");
        SentencePieceTokenizer sp;
        var (patched, pieces) = SentencePieceModelPatch.Patch(bytes, spieceModelPath);
        if (pieces < 3) throw new ModelConfigException(spieceModelPath, null, $"the model has {pieces} pieces; T5 needs at least <pad>, </s>, <unk>");
        try
        {
            using var stream = new MemoryStream(patched);
            sp = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
            // Some malformed models load and fail only on first use: use it once here, so the error comes from Load.
            _ = sp.EncodeToIds("a <b> 1", addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not (ModelConfigException or OutOfMemoryException or OperationCanceledException))
        {
            // Microsoft.ML.Tokenizers' protobuf reader reports malformed models as NullReference, Overflow,
            // ArgumentOutOfRange and others: all of them mean the file is bad, and none may reach the caller untyped.
            throw new ModelConfigException(spieceModelPath, null, $"the SentencePiece model cannot be read ({e.GetType().Name})", e);
        }
        return new T5Tokenizer(sp, pieces, extraIds);
    }

    /// <summary>The IF pipelines' preprocessing when caption cleaning is off: <c>text.lower().strip()</c>.</summary>
    public static string PreprocessForPipeline(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToLowerInvariant().Trim();
    }

    /// <summary>The pieces of <paramref name="text"/> (special tokens split out), without EOS.</summary>
    public IReadOnlyList<string> Tokenize(string text) => Encode(text).Select(t => t.Piece).ToList();

    /// <summary>Token ids with EOS, no padding or truncation.</summary>
    public IReadOnlyList<int> EncodeIds(string text) => [.. Encode(text).Select(t => t.Id), EosId];

    /// <summary>
    /// The IF call: ids truncated to <paramref name="maxLength"/> − 1 content ids + EOS, right-padded with 0, and the
    /// attention mask (1 for content and EOS).
    /// </summary>
    public (int[] Ids, int[] Mask) EncodeForModel(string text, int maxLength = IFMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var content = Encode(text).Select(t => t.Id).Take(maxLength - 1).ToList();
        content.Add(EosId);
        var ids = new int[maxLength];
        var mask = new int[maxLength];
        for (int i = 0; i < content.Count; i++) { ids[i] = content[i]; mask[i] = 1; }
        return (ids, mask);
    }

    /// <summary>A padded batch as tensors [B, maxLength].</summary>
    public TokenizedPrompts EncodeBatch(IReadOnlyList<string> texts, int maxLength = IFMaxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("At least one prompt is needed.", nameof(texts));
        var ids = new long[texts.Count * maxLength];
        var mask = new long[texts.Count * maxLength];
        for (int b = 0; b < texts.Count; b++)
        {
            var (i, m) = EncodeForModel(texts[b], maxLength);
            for (int k = 0; k < maxLength; k++) { ids[b * maxLength + k] = i[k]; mask[b * maxLength + k] = m[k]; }
        }
        return new TokenizedPrompts(tensor(ids, [texts.Count, maxLength], ScalarType.Int64), tensor(mask, [texts.Count, maxLength], ScalarType.Int64));
    }

    private List<(string Piece, int Id)> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chunks = Split(text);
        var result = new List<(string, int)>();
        foreach (var (chunk, special) in chunks)
        {
            if (chunk.Length == 0) continue;
            if (special)
            {
                result.Add((chunk, _special[chunk]));
                continue;
            }
            bool previousUnknown = false;
            foreach (var token in _sp.EncodeToTokens(chunk, out _, addBeginningOfSentence: false, addEndOfSentence: false))
            {
                // SentencePiece merges a run of unknown characters into one unknown piece.
                bool unknown = token.Id == UnkId;
                if (unknown && previousUnknown) result[^1] = (result[^1].Item1 + token.Value, UnkId);
                else result.Add((token.Value, token.Id));
                previousUnknown = unknown;
            }
        }
        return result;
    }

    /// <summary>Splits on special tokens (longest match); sentinels strip the whitespace next to them (lstrip/rstrip).</summary>
    private List<(string Text, bool Special)> Split(string text)
    {
        var parts = new List<(string Text, bool Special)>();
        var current = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            string? match = null;
            if (text[i] == '<')
                foreach (var s in _specialByLength)
                    if (string.CompareOrdinal(text, i, s, 0, s.Length) == 0) { match = s; break; }
            if (match is null)
            {
                current.Append(text[i]);
                i++;
                continue;
            }
            parts.Add((current.ToString(), false));
            current.Clear();
            parts.Add((match, true));
            i += match.Length;
        }
        parts.Add((current.ToString(), false));
        for (int k = 0; k < parts.Count; k++)
        {
            if (!parts[k].Special || !parts[k].Text.StartsWith("<extra_id_", StringComparison.Ordinal)) continue;
            if (k > 0 && !parts[k - 1].Special) parts[k - 1] = (parts[k - 1].Text.TrimEnd(), false);
            if (k + 1 < parts.Count && !parts[k + 1].Special) parts[k + 1] = (parts[k + 1].Text.TrimStart(), false);
        }
        return parts;
    }
}
