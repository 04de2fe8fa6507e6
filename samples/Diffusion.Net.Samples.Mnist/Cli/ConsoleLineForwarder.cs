using System.Collections.Concurrent;
using System.Text;
using Spectre.Console;

namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// Stands in for <see cref="Console.Out"/> while live bars are shown, so that the program's own result lines appear
/// above the bars instead of through them. Complete lines are queued and written to the Spectre console by one thread
/// of its own: a write straight from the caller would hold <see cref="Console.Out"/>'s lock while waiting for Spectre's
/// render lock, and Spectre's refresh thread takes them in the other order (a deadlock seen here under a terminal).
/// </summary>
internal sealed class ConsoleLineForwarder : TextWriter
{
    private readonly IAnsiConsole _console;
    private readonly BlockingCollection<string> _lines = [];
    private readonly StringBuilder _partial = new();
    private readonly Thread _writer;

    public ConsoleLineForwarder(IAnsiConsole console)
    {
        _console = console;
        _writer = new Thread(() =>
        {
            foreach (var line in _lines.GetConsumingEnumerable()) _console.WriteLine(line);
        }) { IsBackground = true, Name = "console lines" };
        _writer.Start();
    }

    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <inheritdoc />
    public override void Write(char value)
    {
        lock (_partial)
        {
            if (value == '\n')
            {
                Enqueue(_partial.ToString());
                _partial.Clear();
            }
            else if (value != '\r')
            {
                _partial.Append(value);
            }
        }
    }

    /// <inheritdoc />
    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (var c in value) Write(c);
    }

    /// <inheritdoc />
    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    /// <summary>
    /// Writes every queued line and stops the writer thread; later writes go straight to the console. Call it from a
    /// thread that holds no console lock, before the live display ends.
    /// </summary>
    public void Drain()
    {
        lock (_partial)
        {
            if (_lines.IsAddingCompleted) return;
            if (_partial.Length > 0) Enqueue(_partial.ToString());
            _partial.Clear();
            _lines.CompleteAdding();
        }
        _writer.Join();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Drain();
            _lines.Dispose();
        }
        base.Dispose(disposing);
    }

    // Called under the _partial lock, which also guards CompleteAdding.
    private void Enqueue(string line)
    {
        if (!_lines.IsAddingCompleted) _lines.Add(line);
        else _console.WriteLine(line);
    }
}
