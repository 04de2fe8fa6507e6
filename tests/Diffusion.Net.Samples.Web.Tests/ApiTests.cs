using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Samples.Web.Tests;

/// <summary>The HTTP contract under the page: problem details, upload limits, the queue limit, and training on start.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task BadRequests_AreProblemDetails_NamingTheField()
    {
        await using var host = await WebAppHost.StartAsync(settings: new Dictionary<string, string?> { ["DiffusionWeb:MaxUploadBytes"] = "20000" });
        using var http = new HttpClient { BaseAddress = host.Address };
        async Task<(HttpStatusCode Status, JsonElement Problem)> Send(HttpResponseMessage response) => (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());

        var (status, problem) = await Send(await http.PostAsJsonAsync("api/anagram", new { upright = "cat", other = "9", count = 1 }));
        status.Should().Be(HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().Should().Be("Prompt");
        problem.GetProperty("detail").GetString().Should().StartWith("Prompt: \"cat\" is not a digit");

        using var truncated = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "truncated.jpg"))), "image", "photo.jpg" } };
        (status, problem) = await Send(await http.PostAsync("api/edit", truncated));
        status.Should().Be(HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().Should().Be("OriginalImages[0]");
        problem.GetProperty("detail").GetString().Should().Contain("truncated");

        using var big = new MultipartFormDataContent { { new ByteArrayContent(new byte[100_000]), "image", "big.png" } };
        (status, problem) = await Send(await http.PostAsync("api/edit", big));
        status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        problem.GetProperty("title").GetString().Should().Be("Upload too large");

        (status, problem) = await Send(await http.PostAsJsonAsync("api/generate", new { digits = "0123456789", perDigit = 5 }));
        status.Should().Be(HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().Should().Be("perDigit");
    }

    [Fact]
    public async Task RequestsBeyondTheQueue_Get429()
    {
        await using var host = await WebAppHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["DiffusionWeb:QueueLimit"] = "0",
            ["DiffusionWeb:Sampler"] = "ddim-30",
            ["DiffusionWeb:MaxImages"] = "400",
        });
        using var http = new HttpClient { BaseAddress = host.Address };
        // Warm up first (model load, JIT), so the long run below is the one holding the slot when the probes arrive.
        (await http.PostAsJsonAsync("api/generate", new { digits = "1", perDigit = 1, steps = 2 })).StatusCode.Should().Be(HttpStatusCode.OK);
        // A long run holds the one slot; while it runs, no request may wait. Probes go out in concurrent volleys with no
        // pause. The tiny test model samples 16 digits in 150 steps in a fraction of a second, which on a loaded machine
        // can pass within one volley's round trip, so the long run grows until a probe meets the taken slot: 16 digits ×
        // 150 steps, then 100 × 300 (12.5 times as long), then 400 × 300 (50 times).
        HttpResponseMessage? rejected = null;
        foreach (var (digits, perDigit, steps) in new[] { ("0", 16, 150), ("0123456789", 10, 300), ("0123456789", 40, 300) })
        {
            var slow = http.PostAsJsonAsync("api/generate", new { digits, perDigit, steps, seed = 1 });
            while (!slow.IsCompleted && rejected is null)
            {
                var volley = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => http.PostAsJsonAsync("api/generate", new { digits = "1", perDigit = 1, steps = 2 })));
                foreach (var probe in volley)
                {
                    if (probe.StatusCode == HttpStatusCode.TooManyRequests) rejected ??= probe;
                    else probe.StatusCode.Should().Be(HttpStatusCode.OK, "a probe either finds the slot free or is turned away");
                }
            }
            // Under load a probe can even overtake the long run and take the slot first; then the long run is the one turned away.
            var longRun = await slow;
            if (longRun.StatusCode == HttpStatusCode.TooManyRequests) rejected ??= longRun;
            else longRun.StatusCode.Should().Be(HttpStatusCode.OK);
            if (rejected is not null) break;
        }
        rejected.Should().NotBeNull("a request that arrives while the slot is taken and the queue is full is turned away");
        rejected!.Headers.RetryAfter.Should().NotBeNull();
        (await rejected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString().Should().Be("Too many requests");
    }

    [Fact]
    public async Task WithoutAModel_TheAppTrainsOnStart_ReportsProgress_AndThenServes()
    {
        await using var host = await WebAppHost.StartAsync(withModel: false, settings: new Dictionary<string, string?>
        {
            ["DiffusionWeb:TrainEpochs"] = "1",
            ["DiffusionWeb:TrainItemsPerEpoch"] = "512",
        });
        using var http = new HttpClient { BaseAddress = host.Address };
        var states = new List<string>();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        JsonElement status;
        do
        {
            status = await http.GetFromJsonAsync<JsonElement>("api/status");
            states.Add(status.GetProperty("state").GetString()!);
            if (states[^1] == "training")
            {
                var early = await http.PostAsJsonAsync("api/generate", new { digits = "1", perDigit = 1 });
                if (early.StatusCode != HttpStatusCode.OK) early.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            }
            if (states[^1] is "ready" or "failed") break;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        status.GetProperty("state").GetString().Should().Be("ready", status.GetProperty("message").GetString());
        states.Should().Contain("training");
        // Once ready, no late training report may turn the status back.
        for (int i = 0; i < 10; i++)
        {
            await Task.Delay(100);
            var later = await http.GetFromJsonAsync<JsonElement>("api/status");
            later.GetProperty("state").GetString().Should().Be("ready", later.GetProperty("message").GetString());
        }
        File.Exists(Path.Combine(host.Folder, "model.safetensors")).Should().BeTrue();
        var response = await http.PostAsJsonAsync("api/generate", new { digits = "7", perDigit = 2 });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").GetArrayLength().Should().Be(2);
    }
}
