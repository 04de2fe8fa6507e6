using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Pipelines;

/// <summary>The checks and prompt handling both IF pipelines share, all done before any model call.</summary>
internal static class PipelineInputs
{
    /// <summary>Requires [N, L, D] embeddings whose D is the UNet's text width.</summary>
    public static void CheckText(IDeepFloydModel model, TextCondition text, string paramName)
    {
        int width = model.UNetConfig.EncoderHidDim;
        if (text.Embeddings.shape[2] != width)
            throw new ArgumentException(
                $"The {paramName} embeddings are [{string.Join(", ", text.Embeddings.shape)}]; this UNet takes [N, L, {width}] (its encoder_hid_dim).", paramName);
    }

    /// <summary>
    /// The negative prompts for <paramref name="promptBatch"/> prompts, each repeated <paramref name="imagesPerPrompt"/>
    /// times as the positive ones are (one negative broadcasts; otherwise one per prompt, as diffusers requires).
    /// </summary>
    public static TextCondition Negative(TextCondition negative, int promptBatch, int imagesPerPrompt, string paramName, List<Tensor>? created)
    {
        int n = (int)negative.Embeddings.shape[0];
        if (n == 1) return negative;
        if (n != promptBatch)
            throw new ArgumentException($"{n} negative prompts for {promptBatch} prompts: give one negative prompt, or one per prompt.", paramName);
        return RepeatInterleave(negative, imagesPerPrompt, created);
    }

    /// <summary>
    /// Each row repeated <paramref name="times"/> times consecutively (diffusers' num_images_per_prompt); new tensors are
    /// added to <paramref name="created"/> when given, for the caller to dispose after its run.
    /// </summary>
    public static TextCondition RepeatInterleave(TextCondition prompts, int times, List<Tensor>? created)
    {
        if (times == 1) return prompts;
        var embeddings = prompts.Embeddings.repeat_interleave(times, 0);
        created?.Add(embeddings);
        var mask = prompts.AttentionMask?.repeat_interleave(times, 0);
        if (mask is not null) created?.Add(mask);
        return new TextCondition(embeddings, mask);
    }

    /// <summary>Disposes what a build created for one run.</summary>
    public static void Dispose(List<Tensor> created)
    {
        foreach (var t in created) t.Dispose();
        created.Clear();
    }

    /// <summary>Encodes the prompts and the negative prompt; on failure nothing is left allocated.</summary>
    public static (TextCondition Prompts, TextCondition Negative) Encode(IFPromptEncoder encoder, IReadOnlyList<string> prompts, string negativePrompt)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(negativePrompt);
        var positive = encoder.Encode(prompts);
        try
        {
            return (positive, encoder.Encode(negativePrompt));
        }
        catch
        {
            positive.Embeddings.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the tensors of conditions this package created.</summary>
    public static void Dispose(params TextCondition[] conditions)
    {
        foreach (var c in conditions)
        {
            c.Embeddings.Dispose();
            c.AttentionMask?.Dispose();
        }
    }

    /// <summary>One-element list for the single-prompt overloads.</summary>
    public static IReadOnlyList<string> One(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return [prompt];
    }
}
