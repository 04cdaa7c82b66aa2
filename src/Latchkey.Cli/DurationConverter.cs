using System.ComponentModel;
using System.Globalization;

namespace Latchkey.Cli;

/// <summary>Reads a command-line duration (<c>250ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>, plain seconds) into a <see cref="TimeSpan"/>.</summary>
public sealed class DurationConverter : TypeConverter
{
    /// <inheritdoc/>
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    /// <inheritdoc/>
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        var text = value as string ?? throw new FormatException("A duration is needed.");
        var duration = LockConnectionString.ParseDuration(text);
        return duration < TimeSpan.Zero ? throw new FormatException($"A duration must not be negative; got '{text}'.") : duration;
    }

    /// <summary>Formats a duration the way the command line reads it back (milliseconds).</summary>
    public static string Format(TimeSpan span) => span.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}
