using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Samples.Web;
using Diffusion.Net.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace Diffusion.Net.Samples.Web.Tests;

/// <summary>
/// The real web app on Kestrel at a free localhost port (a browser needs a socket; WebApplicationFactory's test server has
/// none), configured through the same DiffusionWeb settings a user sets, here pointing at a tiny model.
/// </summary>
public sealed class WebAppHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;

    private WebAppHost(WebApplication app, string folder, Uri address)
    {
        _app = app;
        _folder = folder;
        Address = address;
    }

    /// <summary>The app's base address, e.g. http://127.0.0.1:39123/.</summary>
    public Uri Address { get; }

    /// <summary>The folder of the tiny model and the app's files.</summary>
    public string Folder => _folder;

    /// <summary>Starts the app; with <paramref name="withModel"/> it gets an untrained D = 4 model, else it trains one on start.</summary>
    public static async Task<WebAppHost> StartAsync(bool withModel = true, IDictionary<string, string?>? settings = null)
    {
        var folder = Directory.CreateTempSubdirectory("dn-web").FullName;
        var modelPath = Path.Combine(folder, "model.safetensors");
        if (withModel) SaveTinyModel(modelPath);
        var config = new Dictionary<string, string?>
        {
            ["DiffusionWeb:ModelPath"] = modelPath,
            ["DiffusionWeb:Hidden"] = "4",
            ["DiffusionWeb:TrainIfMissing"] = withModel ? "false" : "true",
            ["DiffusionWeb:Sampler"] = "dpm++2m-3",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Diffusion.Net"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var app = WebSample.Build(["--urls", "http://127.0.0.1:0", "--environment", "Production"], b => b.Configuration.AddInMemoryCollection(config));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new WebAppHost(app, folder, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    private static void SaveTinyModel(string path)
    {
        // Test code may seed the global generator; the library never does.
        random.manual_seed(11);
        using var model = new ClassConditionalUNet(1, 4);
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32)),
            new Dictionary<string, string> { ["format"] = "pt", [DiffusionTrainer.PredictionTypeKey] = "epsilon" });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_folder, true);
    }
}
