using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Latchkey.Cli.Bench;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>
/// Checks a command line before it is parsed: an unknown option or a stray argument before <c>--</c> is a usage
/// error naming it (with the nearest known option when one is close), and a duration is checked under the
/// option's own name. Everything after the first <c>--</c> is the user's command and is never looked at.
/// </summary>
/// <remarks>
/// Issue 19: a mistyped <c>--no-wait</c> in a cron job must not become an unbounded wait, as it did when unknown
/// options fell through to the command's remaining arguments.
/// </remarks>
internal static class StrictArguments
{
    private static readonly string[] CommandNames =
        ["run", "status", "elect", "demo", "bench", LatchkeyApp.DemoWorkerCommandName, BenchRunner.WorkerCommand];

    // A switch of typeof()s, not a dictionary of types: the trimmer then keeps each settings type's properties
    // for the reflection below (a native build has nothing else to read them from).
    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
    private static Type? SettingsOf(string command) => command switch
    {
        "run" => typeof(RunSettings),
        "status" => typeof(StatusSettings),
        "elect" => typeof(ElectSettings),
        "demo" => typeof(DemoSettings),
        "bench" => typeof(BenchSettings),
        LatchkeyApp.DemoWorkerCommandName => typeof(DemoWorkerSettings),
        BenchRunner.WorkerCommand => typeof(BenchWorkerSettings),
        _ => null,
    };

    private static readonly string[] HelpOptions = ["-h", "--help", "-?"];

    /// <summary>The public command names, for a suggestion when the command itself is mistyped.</summary>
    public static IEnumerable<string> Commands => CommandNames.Where(c => c is not LatchkeyApp.DemoWorkerCommandName and not BenchRunner.WorkerCommand);

    /// <summary>Returns the usage error in <paramref name="args"/>, or null if there is none.</summary>
    public static string? FindError(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || HelpOptions.Contains(args[0]))
        {
            return null;
        }

        var settingsType = SettingsOf(args[0]);
        if (settingsType is null)
        {
            return args[0].StartsWith('-')
                ? Unknown("option", args[0], ["--help", "--version"])
                : Unknown("command", args[0], Commands);
        }

        var options = OptionsOf(settingsType);
        var positionals = PositionalCount(settingsType);
        var seen = 0;
        for (var i = 1; i < args.Count; i++)
        {
            var token = args[i];
            if (token == "--")
            {
                return null;
            }

            if (HelpOptions.Contains(token))
            {
                return null;
            }

            if (token.Length > 1 && token.StartsWith('-') && !IsNumber(token))
            {
                var equals = token.IndexOf('=', StringComparison.Ordinal);
                var name = equals > 0 ? token[..equals] : token;
                if (!options.TryGetValue(name, out var option))
                {
                    return Unknown("option", name, options.Keys.Where(k => k.StartsWith("--", StringComparison.Ordinal)));
                }

                if (option.Takes && equals < 0)
                {
                    if (i + 1 >= args.Count || args[i + 1] == "--")
                    {
                        return $"{name} needs a value ({option.ValueName}).";
                    }

                    i++;
                }

                var value = equals > 0 ? token[(equals + 1)..] : option.Takes ? args[i] : null;
                if (value is not null && option.IsDuration)
                {
                    try
                    {
                        DurationConverter.Parse(value, option.LongName);
                    }
                    catch (FormatException ex)
                    {
                        return ex.Message;
                    }
                }

                continue;
            }

            if (++seen > positionals)
            {
                return positionals == 0
                    ? $"unexpected argument '{token}': {args[0]} takes options only."
                    : $"unexpected argument '{token}' before '--': {args[0]} takes one NAME; the command to run goes after '--', as in: latchkey {args[0]} NAME -- COMMAND [ARGS...]";
            }
        }

        return null;
    }

    private static string Unknown(string what, string given, IEnumerable<string> known)
    {
        var nearest = known
            .Select(k => (Name: k, Distance: Distance(given, k)))
            .Where(c => c.Distance <= Math.Max(1, c.Name.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
        return nearest is null ? $"unknown {what} '{given}'." : $"unknown {what} '{given}'; did you mean '{nearest}'?";
    }

    private static bool IsNumber(string token) => double.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out _);

    private sealed record OptionInfo(string LongName, string? ValueName, bool IsDuration)
    {
        public bool Takes => ValueName is not null;
    }

    private static Dictionary<string, OptionInfo> OptionsOf(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type settingsType)
    {
        var options = new Dictionary<string, OptionInfo>(StringComparer.Ordinal);
        foreach (var property in settingsType.GetProperties())
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } attribute)
            {
                continue;
            }

            var isDuration = property.GetCustomAttribute<TypeConverterAttribute>()?.ConverterTypeName.Contains(nameof(DurationConverter), StringComparison.Ordinal) == true;
            var longName = attribute.LongNames.Count > 0 ? "--" + attribute.LongNames[0] : "-" + attribute.ShortNames[0];
            var info = new OptionInfo(longName, attribute.ValueName, isDuration);
            foreach (var name in attribute.LongNames)
            {
                options["--" + name] = info;
            }

            foreach (var name in attribute.ShortNames)
            {
                options["-" + name] = info;
            }
        }

        return options;
    }

    private static int PositionalCount([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type settingsType) =>
        settingsType.GetProperties().Count(p => p.GetCustomAttribute<CommandArgumentAttribute>() is not null);

    /// <summary>Edit distance counting a swap of two neighbours as one edit (<c>--no-wiat</c> is one from <c>--no-wait</c>).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
