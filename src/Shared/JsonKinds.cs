using System.Text.Json;

namespace Diffusion.Net.IO;

/// <summary>How configuration readers describe a bad JSON value: by its kind, never by quoting the file.</summary>
internal static class JsonKinds
{
    /// <summary>"a number", "a string", "a list", "an object", "a boolean" or "null".</summary>
    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
