using Diffusion.Net.Extensions.AI.Requests;
using Microsoft.AspNetCore.Diagnostics;

namespace Diffusion.Net.Samples.Web;

/// <summary>
/// Turns the generator's typed errors into problem details the page shows: a request defect (bad digit, an upload that
/// does not decode, a value out of range) is the user's to fix (400, naming the field); a missing model is the server's (503).
/// </summary>
public sealed class RequestErrorHandler(ILogger<RequestErrorHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        IResult? result = exception switch
        {
            ImageGenerationRequestException e => WebSample.Problem(StatusCodes.Status400BadRequest, "Invalid request", FriendlyDetail(e), e.Property),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => WebSample.Problem(StatusCodes.Status413PayloadTooLarge, "Upload too large", "The upload is over the size limit.", "image"),
            BadHttpRequestException e => WebSample.Problem(StatusCodes.Status400BadRequest, "Invalid request", e.Message, null),
            FileNotFoundException e => WebSample.Problem(StatusCodes.Status503ServiceUnavailable, "The model is not available", e.Message, null),
            NotSupportedException e => WebSample.Problem(StatusCodes.Status400BadRequest, "Not supported", e.Message, null),
            _ => null,
        };
        if (result is null) return false;
        logger.LogDebug("Request rejected: {Message}", exception.Message);
        await result.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>On the page the user knows an original as the picture they sent; other defects are named by their property.</summary>
    private static string FriendlyDetail(ImageGenerationRequestException e)
        => e.Property.StartsWith("OriginalImages", StringComparison.Ordinal) ? $"The uploaded image could not be used: {e.Problem}" : $"{e.Property}: {e.Problem}";
}
