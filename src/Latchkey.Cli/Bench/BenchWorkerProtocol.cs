using System.Globalization;

namespace Latchkey.Cli.Bench;

/// <summary>The lines a parent and its bench workers exchange on standard input and output.</summary>
internal static class BenchWorkerProtocol
{
    public const string Ready = "ready";

    public const string StartPrefix = "start ";

    public const string ResultPrefix = "result ";

    public static string StartLine(long timestamp) => StartPrefix + timestamp.ToString(CultureInfo.InvariantCulture);

    public static long ParseStart(string? line) =>
        line is not null && line.StartsWith(StartPrefix, StringComparison.Ordinal)
            ? long.Parse(line.AsSpan(StartPrefix.Length), NumberStyles.Integer, CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"Expected '{StartPrefix}<timestamp>' from the parent; got '{line}'.");
}
