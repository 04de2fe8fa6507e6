// The Diffusion.Net web sample: a grid of chosen digits, SDEdit and inpainting of a drawn or uploaded digit, and a 6/9
// visual anagram, through IImageGenerator on the MNIST class-conditioned model.
//
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.Web        then open http://localhost:5000
//
// Run it from the repository root to pick up the MNIST main job's out/mnist/quick/checkpoint/model.safetensors, or let it
// train the quick preset on first start (progress on the page). Settings: appsettings.json, section DiffusionWeb.
using Diffusion.Net.Samples.Web;

var app = WebSample.Build(args);
app.Run();
