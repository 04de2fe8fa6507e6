using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Loading;

/// <summary>
/// The IF prompt encoder: the pipelines' preprocessing (<c>lower().strip()</c>), the T5 tokenizer (77 tokens, EOS,
/// padding, mask), and the T5 encoder; the result is T5's last hidden state including the padding positions.
/// </summary>
public sealed class T5TextEncoder : IDisposable
{
    /// <summary>Wraps a tokenizer and an encoder.</summary>
    public T5TextEncoder(T5Tokenizer tokenizer, T5EncoderModel encoder)
    {
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
    }

    /// <summary>The tokenizer.</summary>
    public T5Tokenizer Tokenizer { get; }

    /// <summary>The encoder.</summary>
    public T5EncoderModel Encoder { get; }

    /// <summary>Loads <c>tokenizer/spiece.model</c> and <c>text_encoder/</c> (single or sharded safetensors) from a pipeline folder.</summary>
    public static T5TextEncoder Load(string pipelineFolder, DeepFloydOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pipelineFolder);
        options ??= DeepFloydOptions.Float32;
        options.Validate();
        logger ??= NullLogger.Instance;
        var tokenizer = T5Tokenizer.Load(Path.Combine(pipelineFolder, "tokenizer", "spiece.model"), options.Limits);
        var folder = Path.Combine(pipelineFolder, "text_encoder");
        var config = T5Config.Load(Path.Combine(folder, "config.json"), options.Limits);
        var encoder = new T5EncoderModel(config, new WeightAllocation(options.Device ?? CPU, options.DType));
        try
        {
            using var weights = WeightFiles.Open(folder, "model", options.Variant);
            logger.LogInformation("Loading the T5 encoder ({Parameters:N0} parameters, {DType}) from {Source}", encoder.ParameterCount, options.DType, weights.Description);
            ModuleWeights.Load(encoder, weights, T5EncoderModel.TiedKeys);
            encoder.eval();
            if (options.PackTextEncoderWeights)
            {
                bool packed = encoder.PackLinearWeights();
                logger.LogInformation("T5 encoder linear weights packed for MKL: {Packed}", packed);
            }
            return new T5TextEncoder(tokenizer, encoder);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Encodes prompts to [B, 77, D] (float32), as the IF pipelines' <c>encode_prompt</c>.</summary>
    public Tensor Encode(IReadOnlyList<string> prompts, bool preprocess = true)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var texts = prompts.Select(p => preprocess ? T5Tokenizer.PreprocessForPipeline(p) : p).ToList();
        using var tokens = Tokenizer.EncodeBatch(texts);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = Encoder.parameters().First().device;
        var states = Encoder.Forward(tokens.InputIds.to(device), tokens.AttentionMask.to(device));
        return scope.MoveToOuter(states.to(ScalarType.Float32));
    }

    /// <inheritdoc />
    public void Dispose() => Encoder.Dispose();
}
