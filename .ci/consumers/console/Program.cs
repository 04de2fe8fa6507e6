// A new user's console app: only the packed Diffusion.Net packages and the TorchSharp-cpu backend (.ci/packages).
// Each check can fail: a wrong result exits 1.
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

// 1. The exact denoiser of two random 8x8 images needs no training: sampling from noise must land on one of them.
using var generator = new Generator(2024, CPU);
using var data = rand(new long[] { 2, 1, 8, 8 }, generator: generator).mul(2).sub(1);
var exact = new EmpiricalOptimalPredictor(NoiseSchedules.SquaredCosCapV2(), data, labels: [0, 1]);
using var sample = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(exact, Timesteps.Strided(), Condition.None).Run(seed: 7);
using var distances = (data - sample).abs().mean(new long[] { 1, 2, 3 });
double near = distances.min().item<float>(), far = distances.max().item<float>();
Console.WriteLine($"exact denoiser: sample [{string.Join(", ", sample.shape)}], mean |x - image| = {near:F4} (nearest), {far:F4} (other)");
if (near > 0.1 || far < 4 * near) { Console.Error.WriteLine("FAILED: the exact denoiser did not reproduce a training image"); return 1; }

// 2. The MNIST package: CS180's class-conditioned UNet (untrained), two digits in two steps; the shape and finiteness
//    show the whole model ran through libtorch.
using var unet = (ClassConditionalUNet)MnistTraining.CreateModel(MnistRecipes.ClassConditioned);
using var digits = DiffusionPipeline.FromNoise(2, 1, 28, 28).Denoise(unet, 2, Condition.Classes(3, 7)).Run(seed: 0);
bool finite = digits.isfinite().all().item<bool>();
Console.WriteLine($"MNIST UNet: sample [{string.Join(", ", digits.shape)}], finite = {finite}");
if (!finite || digits.shape[0] != 2 || digits.shape[2] != 28) { Console.Error.WriteLine("FAILED: unexpected MNIST sample"); return 1; }

Console.WriteLine($"consumer console OK (torch {__version__}, {get_num_threads()} threads)");
return 0;
