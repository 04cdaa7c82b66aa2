using System.ComponentModel;
using System.Globalization;

namespace Latchkey.Cli;

/// <summary>
/// Reads a command-line duration into a <see cref="TimeSpan"/>: <c>250us</c>, <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>,
/// compounds such as <c>1m30s</c> or <c>2h15m</c>, fractions such as <c>1.5s</c>, or a plain number of seconds.
/// </summary>
public sealed class DurationConverter : TypeConverter
{
    /// <inheritdoc/>
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    /// <inheritdoc/>
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        Parse(value as string ?? throw new FormatException("A duration is needed."), "duration");

    /// <summary>Parses <paramref name="text"/>; the error names <paramref name="option"/> (<c>--timeout</c>) and says what would be right.</summary>
    /// <exception cref="FormatException">Not a duration, or a negative one.</exception>
    public static TimeSpan Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var duration = TryParseCompound(text.Trim()) ?? TryParseCore(text)
            ?? throw new FormatException($"{option} must be a duration such as 500ms, 10s, 1m30s, 2h15m or a number of seconds; got '{text}'.");
        return duration < TimeSpan.Zero ? throw new FormatException($"{option} must not be negative; got '{text}'.") : duration;
    }

    /// <summary>Formats a duration the way the command line reads it back (milliseconds).</summary>
    public static string Format(TimeSpan span) => span.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    // The core reads one number and one unit (and TimeSpan's own 00:01:30); the CLI also reads 1m30s, as Go's time.ParseDuration does.
    private static TimeSpan? TryParseCompound(string text)
    {
        if (text.Length == 0 || (!char.IsAsciiDigit(text[^1]) && !char.IsAsciiLetter(text[^1])))
        {
            return null;
        }

        var negative = text.StartsWith('-');
        var position = negative ? 1 : 0;
        var total = 0.0;
        var parts = 0;
        while (position < text.Length)
        {
            var start = position;
            while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] == '.'))
            {
                position++;
            }

            if (!double.TryParse(text.AsSpan(start, position - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            var unitStart = position;
            while (position < text.Length && char.IsAsciiLetter(text[position]))
            {
                position++;
            }

            double? milliseconds = text.AsSpan(unitStart, position - unitStart).ToString().ToLowerInvariant() switch
            {
                "" when parts == 0 && position == text.Length => 1000.0,
                "us" or "µs" => 0.001,
                "ms" => 1.0,
                "s" => 1000.0,
                "m" => 60_000.0,
                "h" => 3_600_000.0,
                "d" => 86_400_000.0,
                _ => null,
            };
            if (milliseconds is null)
            {
                return null;
            }

            total += number * milliseconds.Value;
            parts++;
        }

        return parts == 0 || !double.IsFinite(total) || total > TimeSpan.MaxValue.TotalMilliseconds
            ? null
            : TimeSpan.FromMilliseconds(negative ? -total : total);
    }

    private static TimeSpan? TryParseCore(string text)
    {
        try
        {
            return LockConnectionString.ParseDuration(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
