using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Diffusion.Net.Docs.Tests;

/// <summary>One fenced <c>csharp</c> block of a document, with the line its code starts on.</summary>
public sealed record Snippet(string Document, int Line, string Code)
{
    /// <inheritdoc />
    public override string ToString() => $"{Document}:{Line}";
}

/// <summary>
/// Extracts the <c>csharp</c> blocks of the documents and compiles them as CONTRIBUTING.md's convention says: each block
/// alone, as the top-level statements of a console app with the SDK's implicit usings, referencing the three library
/// assemblies, with <c>progress</c> and <c>ct</c> in scope (the prelude).
/// </summary>
public static partial class SnippetCompiler
{
    /// <summary>The documents whose blocks must compile, relative to the repository root.</summary>
    public static readonly string[] Documents = ["README.md", "docs/getting-started-core.md", "docs/getting-started-mnist.md", "docs/getting-started-deepfloyd.md"];

    /// <summary>The SDK's implicit usings of a console app (Microsoft.NET.Sdk, ImplicitUsings enabled).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>The prelude: names the blocks use for what a real caller already has.</summary>
    private const string Prelude = """
        global using static SnippetPrelude;

        /// <summary>What a caller of the documented code already holds.</summary>
        public static class SnippetPrelude
        {
            /// <summary>The caller's progress sink for training.</summary>
            public static System.IProgress<Diffusion.Net.Training.TrainingProgress>? progress => null;

            /// <summary>The caller's cancellation token.</summary>
            public static System.Threading.CancellationToken ct => default;
        }
        """;

    [GeneratedRegex(@"^```csharp[^\n]*\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CsharpBlock();

    /// <summary>The document's folder copied beside the test assembly (the csproj links the committed files).</summary>
    public static string DocumentPath(string document) => Path.Combine(AppContext.BaseDirectory, "docs-under-test", document);

    /// <summary>Every <c>csharp</c> block of <paramref name="document"/>.</summary>
    public static IReadOnlyList<Snippet> Extract(string document)
    {
        var text = File.ReadAllText(DocumentPath(document)).ReplaceLineEndings("\n");
        return CsharpBlock().Matches(text)
            .Select(m => new Snippet(document, text[..m.Groups[1].Index].Count(c => c == '\n') + 1, m.Groups[1].Value))
            .ToList();
    }

    /// <summary>The metadata references: every assembly the test host trusts (the framework, the libraries and their dependencies).</summary>
    public static IReadOnlyList<MetadataReference> References { get; } =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();

    /// <summary>Compiles a block under the convention; returns the compiler's errors (empty when it compiles).</summary>
    public static IReadOnlyList<string> Errors(Snippet snippet)
    {
        var compilation = Compile(snippet.Code, OutputKind.ConsoleApplication, snippet.ToString());
        return compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => Describe(d, snippet)).ToList();
    }

    /// <summary>Compiles <paramref name="code"/> (plus the implicit usings and the prelude) into an assembly loaded in this process.</summary>
    public static Assembly Load(string code, string name)
    {
        var compilation = Compile(code, OutputKind.DynamicallyLinkedLibrary, name);
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        if (!result.Success)
            throw new InvalidOperationException($"{name} does not compile:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(image.ToArray());
    }

    private static CSharpCompilation Compile(string code, OutputKind kind, string name)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(code, parse, path: name),
            CSharpSyntaxTree.ParseText(ImplicitUsings, parse, path: "ImplicitUsings.cs"),
            CSharpSyntaxTree.ParseText(Prelude, parse, path: "Prelude.cs"),
        };
        var options = new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false);
        return CSharpCompilation.Create("Snippet_" + Guid.NewGuid().ToString("N"), trees, References, options);
    }

    private static string Describe(Diagnostic d, Snippet snippet)
    {
        var span = d.Location.GetLineSpan();
        int line = span.Path == snippet.ToString() ? snippet.Line + span.StartLinePosition.Line : -1;
        return $"{(line > 0 ? $"{snippet.Document}:{line}" : span.Path)}: {d.Id} {d.GetMessage()}";
    }
}
