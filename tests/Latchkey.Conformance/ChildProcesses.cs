using System.Diagnostics;

namespace Latchkey.Conformance;

/// <summary>Helper programs a test starts itself (a server of its own, a vendor CLI).</summary>
public static class ChildProcesses
{
    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/>, its output and error read and
    /// dropped in the background, so a full pipe never stalls it.
    /// </summary>
    public static Process StartDrained(string fileName, IEnumerable<string> arguments, bool redirectInput = false)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(fileName) { RedirectStandardInput = redirectInput, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
