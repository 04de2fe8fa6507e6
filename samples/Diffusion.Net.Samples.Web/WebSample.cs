using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Diffusion.Net.Extensions.AI;
using Diffusion.Net.Extensions.AI.Requests;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Diffusion.Net.Samples.Web;

/// <summary>
/// The web sample: a minimal API over <see cref="IImageGenerator"/> (registered by <c>AddDiffusion().AddMnist().AddImageGenerator()</c>)
/// and one page. Every generation goes through the generator; errors come back as RFC 7807 problem details that the
/// page shows: 400 for a bad request or upload (naming what is wrong), 413 for an upload over the limit, 429 when the
/// queue is full, 503 while the model is missing or training.
/// </summary>
public static class WebSample
{
    private const string GenerationPolicy = "generation";

    /// <summary>Builds the app; <paramref name="configure"/> lets a test override settings (e.g. a tiny model).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings live beside the app (appsettings.json is copied to the output); relative model paths resolve against the
        // working folder, like the MNIST sample's out/mnist, so running both from the repository root finds the checkpoint.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        var section = builder.Configuration.GetSection(WebSampleOptions.Section);
        builder.Services.AddOptions<WebSampleOptions>().Bind(section)
            .Validate(o => o.MaxConcurrentRequests >= 1 && o.QueueLimit >= 0 && o.MaxUploadBytes > 0 && o.MaxImages >= 1, "DiffusionWeb: MaxConcurrentRequests ≥ 1, QueueLimit ≥ 0, MaxUploadBytes > 0, MaxImages ≥ 1.")
            .ValidateOnStart();
        var settings = section.Get<WebSampleOptions>() ?? new WebSampleOptions();

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RequestErrorHandler>();
        builder.Services.AddSingleton<ModelStatus>();
        builder.Services.AddHostedService<ModelPreparation>();
        builder.Services.AddDiffusion()
            .AddMnist(o => o.Directory = settings.MnistDirectory)
            .AddImageGenerator(o =>
            {
                o.ModelPath = Path.GetFullPath(settings.ModelPath);
                o.Recipe = settings.Recipe;
                o.Hidden = settings.Hidden;
                o.DefaultSampler = settings.Sampler;
                o.MaxConcurrency = settings.MaxConcurrentRequests;
                o.MaxCount = settings.MaxImages;
                o.MaxImageBytes = settings.MaxUploadBytes;
            });
        // Requests beyond the running ones wait in a bounded queue; past it the answer is 429 at once, so a burst cannot
        // pile up unbounded work behind a CPU-bound model.
        builder.Services.AddRateLimiter(o =>
        {
            o.AddConcurrencyLimiter(GenerationPolicy, l =>
            {
                l.PermitLimit = settings.MaxConcurrentRequests;
                l.QueueLimit = settings.QueueLimit;
                l.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            o.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.Headers.RetryAfter = "2";
                await Results.Problem(title: "Too many requests", detail: $"{settings.MaxConcurrentRequests} generation(s) are running and {settings.QueueLimit} waiting; try again in a moment.",
                    statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context.HttpContext);
            };
        });

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.MapGet("/", () => Results.Stream(typeof(WebSample).Assembly.GetManifestResourceStream("Diffusion.Net.Samples.Web.index.html")!, "text/html; charset=utf-8"));
        app.MapGet("/api/status", (ModelStatus status) => Results.Ok(status.Current));
        app.MapPost("/api/generate", GenerateAsync).RequireRateLimiting(GenerationPolicy);
        app.MapPost("/api/anagram", AnagramAsync).RequireRateLimiting(GenerationPolicy);
        app.MapPost("/api/edit", EditAsync).RequireRateLimiting(GenerationPolicy);
        return app;
    }

    /// <summary>The body of <c>POST /api/generate</c>: the digits of the grid's columns, rows per digit, and optional seed and steps.</summary>
    public sealed record GenerateBody(string? Digits, int PerDigit = 4, long? Seed = null, int? Steps = null, double? GuidanceScale = null);

    /// <summary>The body of <c>POST /api/anagram</c>.</summary>
    public sealed record AnagramBody(string? Upright = "6", string? Other = "9", string? View = "rotate180", int Count = 4, long? Seed = null);

    /// <summary>One generated image for the page.</summary>
    public sealed record ImageResult(string Label, string DataUrl, long Seed);

    /// <summary>What the generation endpoints return.</summary>
    public sealed record ImagesResponse(IReadOnlyList<ImageResult> Images, double Seconds);

    private static async Task<IResult> GenerateAsync(GenerateBody? body, IImageGenerator generator, ModelStatus status, IOptions<WebSampleOptions> options, CancellationToken ct)
    {
        if (NotReady(status) is { } wait) return wait;
        if (body is null || string.IsNullOrWhiteSpace(body.Digits)) return BadRequest("Choose at least one digit.", "digits");
        var digits = body.Digits.Where(c => !char.IsWhiteSpace(c) && c != ',').ToArray();
        if (digits.Any(c => c is < '0' or > '9')) return BadRequest($"'{body.Digits}' holds something other than the digits 0–9.", "digits");
        if (body.PerDigit < 1 || digits.Length * body.PerDigit > options.Value.MaxImages)
            return BadRequest($"{digits.Length} digit(s) × {body.PerDigit} per digit must make 1 to {options.Value.MaxImages} images.", "perDigit");
        long seed = body.Seed ?? Random.Shared.NextInt64(0, 1L << 40);
        var clock = Stopwatch.StartNew();
        var images = new List<ImageResult>();
        // Row-major grid: row r holds instance r of every chosen digit; each digit is one request to the generator.
        var perDigit = new List<IList<AIContent>>();
        foreach (var d in digits)
        {
            var response = await generator.GenerateImagesAsync(d.ToString(), Options(body.PerDigit, seed + (d - '0'), ("steps", body.Steps), ("guidance_scale", body.GuidanceScale)), ct);
            perDigit.Add(response.Contents);
        }
        for (int row = 0; row < body.PerDigit; row++)
            for (int col = 0; col < digits.Length; col++)
                images.Add(ToResult(digits[col].ToString(), perDigit[col][row]));
        return Results.Ok(new ImagesResponse(images, clock.Elapsed.TotalSeconds));
    }

    private static async Task<IResult> AnagramAsync(AnagramBody? body, IImageGenerator generator, ModelStatus status, CancellationToken ct)
    {
        if (NotReady(status) is { } wait) return wait;
        body ??= new AnagramBody();
        long seed = body.Seed ?? Random.Shared.NextInt64(0, 1L << 40);
        var clock = Stopwatch.StartNew();
        // The anagram is a request switch of the generator (anagram_prompt / anagram_view), not a side door to MnistPartA.
        var response = await generator.GenerateImagesAsync(body.Upright ?? "", Options(body.Count, seed, ("anagram_prompt", body.Other), ("anagram_view", body.View)), ct);
        return Results.Ok(new ImagesResponse(response.Contents.Select(c => ToResult($"{body.Upright} / {body.Other}", c)).ToList(), clock.Elapsed.TotalSeconds));
    }

    private static async Task<IResult> EditAsync(HttpRequest request, IImageGenerator generator, ModelStatus status, IOptions<WebSampleOptions> options, CancellationToken ct)
    {
        if (NotReady(status) is { } wait) return wait;
        // Hostile input: the body is capped before a byte is buffered (Kestrel answers 413 past it), then every part is checked.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = 2 * options.Value.MaxUploadBytes + 64 * 1024;
        if (!request.HasFormContentType) return BadRequest("Send the image as multipart/form-data (field 'image').", "image");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = 2 * options.Value.MaxUploadBytes + 64 * 1024 }, ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || e is InvalidDataException
                ? Problem(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"Uploads are limited to {options.Value.MaxUploadBytes / 1024} KiB.", "image")
                : BadRequest($"The form could not be read: {e.Message}", "image");
        }
        var image = form.Files.GetFile("image");
        if (image is null || image.Length == 0) return BadRequest("Draw a digit or choose an image file (field 'image').", "image");
        if (image.Length > options.Value.MaxUploadBytes) return Problem(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"The image is {image.Length / 1024} KiB; the limit is {options.Value.MaxUploadBytes / 1024} KiB.", "image");
        string mode = form["mode"].ToString() is { Length: > 0 } m ? m : "sdedit";
        if (mode is not ("sdedit" or "inpaint")) return BadRequest($"Mode '{mode}' is not sdedit or inpaint.", "mode");
        var mask = form.Files.GetFile("mask");
        if (mode == "inpaint" && mask is null) return BadRequest("Inpainting needs a mask (field 'mask': white = regenerate).", "mask");
        if (!int.TryParse(form["count"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int count)) count = 4;
        double? strength = double.TryParse(form["strength"], NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s : null;
        long seed = long.TryParse(form["seed"], NumberStyles.Integer, CultureInfo.InvariantCulture, out long given) ? given : Random.Shared.NextInt64(0, 1L << 40);
        string digit = form["digit"].ToString();

        var original = new DataContent(await ReadAsync(image, ct), string.IsNullOrEmpty(image.ContentType) ? "application/octet-stream" : NormaliseImageType(image.ContentType)) { Name = image.FileName };
        var o = Options(count, seed, ("strength", mode == "sdedit" ? strength : null));
        if (mode == "inpaint") o.AdditionalProperties!["mask"] = new DataContent(await ReadAsync(mask!, ct), "image/png");
        var clock = Stopwatch.StartNew();
        var response = await generator.GenerateAsync(new ImageGenerationRequest(digit, [original]), o, ct);
        return Results.Ok(new ImagesResponse(response.Contents.Select(c => ToResult(digit.Length > 0 ? digit : "?", c)).ToList(), clock.Elapsed.TotalSeconds));
    }

    /// <summary>Any declared type goes to the decoder, which identifies the format from the bytes; only non-images are refused there.</summary>
    private static string NormaliseImageType(string contentType) => contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) ? contentType : "application/octet-stream";

    private static async Task<byte[]> ReadAsync(IFormFile file, CancellationToken ct)
    {
        using var stream = new MemoryStream();
        await file.CopyToAsync(stream, ct);
        return stream.ToArray();
    }

    private static ImageGenerationOptions Options(int count, long seed, params (string Key, object? Value)[] properties)
    {
        var o = new ImageGenerationOptions { Count = count, AdditionalProperties = new() { [DiffusionImageGeneratorProperties.Seed] = seed } };
        foreach (var (key, value) in properties)
            if (value is not null) o.AdditionalProperties[key] = value;
        return o;
    }

    private static ImageResult ToResult(string label, AIContent content)
    {
        var data = (DataContent)content;
        long seed = data.AdditionalProperties?.TryGetValue(DiffusionImageGeneratorProperties.Seed, out var s) == true ? Convert.ToInt64(s, CultureInfo.InvariantCulture) : 0;
        return new ImageResult(label, data.Uri, seed);
    }

    private static IResult? NotReady(ModelStatus status)
    {
        var now = status.Current;
        return now.State == "ready" ? null
            : Problem(StatusCodes.Status503ServiceUnavailable, now.State == "training" ? "The model is training" : "The model is not available", now.Message, null);
    }

    private static IResult BadRequest(string detail, string field) => Problem(StatusCodes.Status400BadRequest, "Invalid request", detail, field);

    internal static IResult Problem(int status, string title, string detail, string? field)
        => Results.Problem(title: title, detail: detail, statusCode: status, extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field });
}
