using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>
/// Fills a command's settings from its arguments (already checked by <see cref="StrictArguments"/>) and writes its
/// help, from the same option attributes the settings declare. Unlike Spectre.Console.Cli's <c>CommandApp</c> it
/// needs no runtime code generation, so it works in a NativeAOT build: the settings' properties are kept by the
/// <see cref="DynamicallyAccessedMembersAttribute"/> on each type parameter.
/// </summary>
internal static class SettingsBinder
{
    private const DynamicallyAccessedMemberTypes Kept = DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor;

    /// <summary>Binds <paramref name="args"/> (the command's, without its name; up to a <c>--</c>) to a new <typeparamref name="T"/>.</summary>
    /// <exception cref="FormatException">A value does not fit its option (named in the message).</exception>
    public static T Bind<[DynamicallyAccessedMembers(Kept)] T>(IReadOnlyList<string> args)
        where T : CommandSettings, new()
    {
        var settings = new T();
        var properties = typeof(T).GetProperties();
        var positional = properties
            .Select(p => (Property: p, Argument: p.GetCustomAttribute<CommandArgumentAttribute>()))
            .Where(p => p.Argument is not null)
            .OrderBy(p => p.Argument!.Position)
            .Select(p => p.Property)
            .ToList();
        var options = new Dictionary<string, (PropertyInfo Property, CommandOptionAttribute Option)>(StringComparer.Ordinal);
        foreach (var property in properties)
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is { } option)
            {
                foreach (var name in option.LongNames)
                {
                    options["--" + name] = (property, option);
                }

                foreach (var name in option.ShortNames)
                {
                    options["-" + name] = (property, option);
                }
            }
        }

        var position = 0;
        for (var i = 0; i < args.Count && args[i] != "--"; i++)
        {
            var token = args[i];
            var equals = token.StartsWith('-') ? token.IndexOf('=', StringComparison.Ordinal) : -1;
            var name = equals > 0 ? token[..equals] : token;
            if (options.TryGetValue(name, out var found))
            {
                var text = found.Option.ValueName is null ? "true" : equals > 0 ? token[(equals + 1)..] : args[++i];
                found.Property.SetValue(settings, Convert(text, found.Property.PropertyType, found.Option));
            }
            else if (position < positional.Count)
            {
                positional[position++].SetValue(settings, token);
            }
        }

        if (position < positional.Count)
        {
            throw new FormatException($"{positional[position].GetCustomAttribute<CommandArgumentAttribute>()!.ValueName} is missing.");
        }

        return settings;
    }

    /// <summary>The help of a command: usage, description, arguments and options.</summary>
    public static string Help<[DynamicallyAccessedMembers(Kept)] T>(string usage, string description)
    {
        var text = new StringBuilder();
        text.Append("DESCRIPTION:\n    ").Append(description).Append("\n\nUSAGE:\n    latchkey ").Append(usage).Append("\n\n");
        var rows = new List<(string Left, string Right)> { ("-h, --help", "Print this help") };
        foreach (var property in typeof(T).GetProperties())
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is { IsHidden: false } option)
            {
                var names = string.Join(", ", option.ShortNames.Select(n => "-" + n).Concat(option.LongNames.Select(n => "--" + n)));
                var value = option.ValueName is null ? string.Empty : $" <{option.ValueName}>";
                rows.Add((names + value, property.GetCustomAttribute<DescriptionAttribute>()?.Description ?? string.Empty));
            }
        }

        var width = rows.Max(r => r.Left.Length) + 4;
        text.Append("OPTIONS:\n");
        foreach (var (left, right) in rows)
        {
            text.Append("    ").Append(left.PadRight(width)).Append(right).Append('\n');
        }

        return text.ToString();
    }

    private static object? Convert(string text, Type type, CommandOptionAttribute option)
    {
        var name = option.LongNames.Count > 0 ? "--" + option.LongNames[0] : "-" + option.ShortNames[0];
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            return text;
        }

        if (target == typeof(bool))
        {
            return true;
        }

        if (target == typeof(TimeSpan))
        {
            return DurationConverter.Parse(text, name);
        }

        if (target == typeof(int))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new FormatException($"{name} must be a whole number; got '{text}'.");
        }

        throw new InvalidOperationException($"{name}: options of type {type} are not supported.");
    }
}
