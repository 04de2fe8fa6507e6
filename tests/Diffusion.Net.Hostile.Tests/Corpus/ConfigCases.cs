using System.Text.Json.Nodes;
using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>
/// UNet, T5 and scheduler configs: every key given hostile values, byte mutations, and issue 20 #6. An accepted
/// model config is built (on the CPU) under a 50 M-parameter budget, so a config that slips past validation
/// shows up as a memory failure.
/// </summary>
internal static class ConfigCases
{
    private static readonly InputLimits Budget = InputLimits.Default with { MaxParameters = 50_000_000 };

    private static readonly string[] Values =
        ["0", "-1", "100000", "2147483647", "-2147483648", "1e308", "-1e308", "1e-320", "\"x\"", "null", "true", "[]", "{}", "[0]", "[100000,1,1]", "[-16,32,64]", "0.5", "\"NaN\"", "[1073741824,2,3]", "2"];

    public static IEnumerable<HostileCase> Create()
    {
        foreach (var (kind, seedName, target) in new[] { ("unet", "unet_config.json", "IFUNetConfig.Load + build"), ("unet2", "unet2_config.json", "IFUNetConfig.Load + build"), ("t5", "t5_config.json", "T5Config.Load + build"), ("scheduler", "scheduler_config.json", "DdpmSchedulerConfig.Load + schedule") })
        {
            var k = kind;
            var seed = new Lazy<byte[]>(() => Files.Seed(seedName));
            for (int i = 0; i < (k == "unet2" ? 40 : 60); i++)
            {
                int n = i;
                yield return new($"config-{k}-value-{n:D2}", target, Expectation.AcceptOrReject, dir => Run(k, Files.Write(dir, "config.json", ValueMutant(seed.Value, n))));
            }
            for (int i = 0; i < 20; i++)
            {
                int n = i;
                yield return new($"config-{k}-bytes-{n:D2}", target, Expectation.AcceptOrReject, dir => Run(k, Files.Write(dir, "config.json", Mutator.Mutate(seed.Value, n))));
            }
            yield return new($"config-{k}-valid-seed", target, Expectation.Accept, dir => Run(k, Files.Write(dir, "config.json", seed.Value)));
        }
        yield return Set("D06-layers-per-block-100000", "unet", "layers_per_block", "100000", "layers_per_block");
        yield return Set("D06-t5-num-layers-100000", "t5", "num_layers", "100000", "num_layers");
        yield return Set("D06-norm-num-groups-0", "unet", "norm_num_groups", "0", "norm_num_groups");
        yield return Set("D06-addition-heads-0", "unet", "addition_embed_type_num_heads", "0", "addition_embed_type_num_heads");
        yield return Set("D06-negative-width", "unet", "block_out_channels", "[-32,32,64]", "block_out_channels");
        yield return Set("D06-huge-width", "unet", "block_out_channels", "[1073741824,32,64]", "block_out_channels");
        yield return Set("D06-huge-cross-attention", "unet", "cross_attention_dim", "2147483647", "cross_attention_dim");
        yield return Set("D06-t5-huge-d-model", "t5", "d_model", "2000000", "d_model");
        yield return Set("D06-t5-negative-heads", "t5", "num_heads", "-4", "num_heads");
        yield return Set("D06-norm-eps-negative", "unet", "norm_eps", "-1", "norm_eps");
        yield return Set("D06-layer-norm-epsilon-negative", "t5", "layer_norm_epsilon", "-1", "layer_norm_epsilon");
        yield return Set("D06-parameter-budget", "unet", "block_out_channels", "[4096,4096,4096]", "parameters");
        foreach (var (key, value) in new[] { ("upcast_attention", "true"), ("attention_type", "\"gated\""), ("dual_cross_attention", "true"), ("use_linear_projection", "true"),
                     ("num_class_embeds", "10"), ("mid_block_only_cross_attention", "true"), ("num_attention_heads", "8"), ("projection_class_embeddings_input_dim", "16"),
                     ("transformer_layers_per_block", "2"), ("reverse_transformer_layers_per_block", "[1,1,1]"), ("downsample_padding", "0") })
            yield return Set($"D06-unimplemented-{key}", "unet", key, value, key);
        yield return Set("D06-beta-start-negative", "scheduler", "beta_start", "-0.1", "beta_start");
        yield return Set("D06-beta-end-2", "scheduler", "beta_end", "2", "beta_end");
        yield return Set("D06-beta-end-1", "scheduler", "beta_end", "1", "beta_end");
        yield return Set("D06-timesteps-2^31", "scheduler", "num_train_timesteps", "2147483647", "num_train_timesteps");
        yield return Set("D06-trained-betas-out-of-range", "scheduler", "trained_betas", "[0.5,1.5]", "trained_betas", ("num_train_timesteps", "2"));
        yield return new("D06-scheduler-error-before-weights", "DeepFloydModel.Load", Expectation.Reject, dir =>
        {
            // A valid UNet config with no weights at all: the bad scheduler must be reported, by file, before weights are looked for.
            Files.Write(dir, "unet/config.json", Files.Seed("unet_config.json"));
            var scheduler = JsonNode.Parse(Files.Seed("scheduler_config.json"))!.AsObject();
            scheduler["beta_end"] = 2;
            Files.WriteText(dir, "scheduler/scheduler_config.json", scheduler.ToJsonString());
            return DeepFloydModel.Load(dir);
        }, nameof(ModelConfigException), ["scheduler_config.json", "beta_end"]);
        yield return new("D11-config-dev-zero", "IFUNetConfig.Load + build", Expectation.Reject, dir => IFUNetConfig.Load(Files.Link(dir, "config.json", "/dev/zero")), nameof(ModelConfigException));
        yield return new("config-not-json-not-echoed", "DdpmSchedulerConfig.Load + schedule", Expectation.Reject,
            dir => DdpmSchedulerConfig.Load(Files.WriteText(dir, "scheduler_config.json", "SECRET-CONTENT")), nameof(ModelConfigException), null, ["SECRET"]);
    }

    private static HostileCase Set(string id, string kind, string key, string value, string fragment, (string Key, string Value)? also = null)
    {
        var seedName = kind switch { "unet" => "unet_config.json", "t5" => "t5_config.json", _ => "scheduler_config.json" };
        var target = kind switch { "unet" => "IFUNetConfig.Load + build", "t5" => "T5Config.Load + build", _ => "DdpmSchedulerConfig.Load + schedule" };
        return new(id, target, Expectation.Reject, dir =>
        {
            var json = JsonNode.Parse(Files.Seed(seedName))!.AsObject();
            json[key] = JsonNode.Parse(value);
            if (also is { } a) json[a.Key] = JsonNode.Parse(a.Value);
            return Run(kind, Files.WriteText(dir, "config.json", json.ToJsonString()));
        }, nameof(ModelConfigException), [fragment]);
    }

    private static object? Run(string kind, string path)
    {
        switch (kind)
        {
            case "unet" or "unet2":
            {
                var config = IFUNetConfig.Load(path, Budget);
                return new IFUNet(config, new WeightAllocation(CPU, ScalarType.Float32));
            }
            case "t5":
            {
                var config = T5Config.Load(path, Budget);
                return new T5EncoderModel(config, new WeightAllocation(CPU, ScalarType.Float32));
            }
            default:
            {
                var config = DdpmSchedulerConfig.Load(path, Budget);
                var schedule = config.CreateSchedule();
                _ = config.CreateSampler();
                _ = config.CreateTimesteps(Math.Min(10, config.NumTrainTimesteps));
                return schedule;
            }
        }
    }

    /// <summary>The seed with one key's value replaced by a hostile one.</summary>
    private static byte[] ValueMutant(byte[] seed, int n)
    {
        var json = JsonNode.Parse(seed)!.AsObject();
        var keys = json.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        var random = new Random(n * 31 + seed.Length);
        json[keys[random.Next(keys.Count)]] = JsonNode.Parse(Values[random.Next(Values.Length)]);
        return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
