namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>Assembles diffusers-layout pipeline folders from the tiny fixtures in a temporary directory.</summary>
internal sealed class TinyPipelineFolder : IDisposable
{
    public TinyPipelineFolder(bool stage2 = false, bool withTextEncoder = false)
    {
        Root = Directory.CreateTempSubdirectory("dn-if").FullName;
        var unet = Directory.CreateDirectory(Path.Combine(Root, "unet")).FullName;
        var source = stage2 ? "unet_stage2_tiny" : "unet_stage1_tiny";
        File.Copy(Fixtures.Path(source, "config.json"), Path.Combine(unet, "config.json"));
        File.Copy(Fixtures.Path(source, "diffusion_pytorch_model.safetensors"), Path.Combine(unet, "diffusion_pytorch_model.safetensors"));
        var scheduler = Directory.CreateDirectory(Path.Combine(Root, "scheduler")).FullName;
        File.Copy(Fixtures.Path("scheduler", stage2 ? "if_stage2" : "if_stage1", "scheduler_config.json"), Path.Combine(scheduler, "scheduler_config.json"));
        if (stage2)
        {
            var noising = Directory.CreateDirectory(Path.Combine(Root, "image_noising_scheduler")).FullName;
            File.Copy(Fixtures.Path("scheduler", "if_stage2_image_noising", "scheduler_config.json"), Path.Combine(noising, "scheduler_config.json"));
        }
        if (withTextEncoder)
        {
            var encoder = Directory.CreateDirectory(Path.Combine(Root, "text_encoder")).FullName;
            foreach (var f in new[] { "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json" })
                File.Copy(Fixtures.Path("t5_encoder_tiny", f), Path.Combine(encoder, f));
            var tokenizer = Directory.CreateDirectory(Path.Combine(Root, "tokenizer")).FullName;
            foreach (var f in Directory.GetFiles(Fixtures.Path("tokenizer_tiny")))
                File.Copy(f, Path.Combine(tokenizer, Path.GetFileName(f)));
        }
        File.WriteAllText(Path.Combine(Root, "model_index.json"), $$"""{"_class_name": "{{(stage2 ? "IFSuperResolutionPipeline" : "IFPipeline")}}"}""");
    }

    public string Root { get; }

    public string Unet(string file) => Path.Combine(Root, "unet", file);

    public void Dispose() => Directory.Delete(Root, true);
}
