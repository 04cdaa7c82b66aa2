using System.Globalization;

namespace Latchkey.Cli;

/// <summary>
/// Reads the demo's journals and checks that no two critical sections overlapped in time and that the
/// fencing tokens strictly increased from one section to the next.
/// </summary>
internal static class DemoCheck
{
    /// <summary>Reads one worker's journal: <c>enter TOKEN TIMESTAMP</c> and <c>exit TOKEN TIMESTAMP</c> lines.</summary>
    public static List<DemoSection> Read(string worker, string path)
    {
        var sections = new List<DemoSection>();
        if (!File.Exists(path))
        {
            return sections;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3)
            {
                throw new InvalidDataException($"Journal {path} has a malformed line: '{line}'.");
            }

            var token = long.Parse(parts[1], CultureInfo.InvariantCulture);
            var timestamp = long.Parse(parts[2], CultureInfo.InvariantCulture);
            if (parts[0] == "enter")
            {
                sections.Add(new DemoSection(worker, token, timestamp, null));
            }
            else if (parts[0] == "exit" && sections.Count > 0 && sections[^1].Token == token && sections[^1].Exit is null)
            {
                sections[^1] = sections[^1] with { Exit = timestamp };
            }
            else
            {
                throw new InvalidDataException($"Journal {path} has an exit without its enter: '{line}'.");
            }
        }

        return sections;
    }

    /// <summary>
    /// Checks the sections of every worker. A section without an exit is allowed only for
    /// <paramref name="killed"/>, whose section is taken to last until <paramref name="killedAt"/> (the moment
    /// the SIGKILL was sent: it certainly held the lock until then).
    /// </summary>
    /// <returns>Null if all is well, else what went wrong.</returns>
    public static string? Check(IEnumerable<DemoSection> all, string? killed, long killedAt)
    {
        var sections = all
            .Select(s => s.Exit is null && s.Worker == killed ? s with { Exit = killedAt } : s)
            .OrderBy(s => s.Enter)
            .ToList();
        var open = sections.FirstOrDefault(s => s.Exit is null);
        if (open is not null)
        {
            return $"{open.Worker} entered with token {open.Token} and never left, yet was not killed.";
        }

        for (var i = 1; i < sections.Count; i++)
        {
            var (before, after) = (sections[i - 1], sections[i]);
            if (after.Enter < before.Exit)
            {
                return $"OVERLAP: {after.Worker} (token {after.Token}) entered before {before.Worker} (token {before.Token}) left.";
            }

            if (after.Token <= before.Token)
            {
                return $"TOKEN: {after.Worker} got token {after.Token} after {before.Worker} had {before.Token}.";
            }
        }

        return null;
    }
}
