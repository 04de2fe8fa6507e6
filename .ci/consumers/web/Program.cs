// A new user's ASP.NET Core app: only the packed Diffusion.Net packages and the TorchSharp-cpu backend (.ci/packages).
// GET /sample runs the exact denoiser of two random 8x8 images through DI's DiffusionRuntime and reports whether the
// sample reproduced a training image.
using Diffusion.Net.Hosting;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddDiffusion(options => options.Threads = 1).AddMnist();
var app = builder.Build();

app.MapGet("/sample", async (DiffusionRuntime runtime, CancellationToken cancellationToken) =>
{
    using var generator = new Generator(2024, CPU);
    using var data = rand(new long[] { 2, 1, 8, 8 }, generator: generator).mul(2).sub(1);
    var exact = new EmpiricalOptimalPredictor(NoiseSchedules.SquaredCosCapV2(), data);
    var pipeline = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(exact, Timesteps.Strided(), Condition.None);
    using var result = await runtime.RunAsync(pipeline, seed: 7, cancellationToken: cancellationToken);
    using var distances = (data - result.Sample.to(data.device)).abs().mean(new long[] { 1, 2, 3 });
    double near = distances.min().item<float>(), far = distances.max().item<float>();
    return Results.Json(new { shape = result.Sample.shape, near, far, reproduced = near <= 0.1 && far >= 4 * near, device = runtime.Device.ToString() });
});

app.Run();
