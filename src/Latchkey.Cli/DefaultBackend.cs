namespace Latchkey.Cli;

/// <summary>
/// The backend used when none is given: <c>LATCHKEY_BACKEND</c>, else the embedded <c>file://</c> backend in
/// <c>$XDG_RUNTIME_DIR/latchkey</c> or, without one, <c>latchkey-USER</c> in the temp directory. Every command
/// (and the bench harness under <c>bench/</c>) uses this one rule.
/// </summary>
public static class DefaultBackend
{
    /// <summary>The environment variable that names the default backend.</summary>
    public const string EnvironmentVariable = "LATCHKEY_BACKEND";

    /// <summary>Returns <paramref name="given"/> if set, else the default described above.</summary>
    public static string Resolve(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var directory = !string.IsNullOrEmpty(runtime) && Directory.Exists(runtime)
            ? Path.Combine(runtime, "latchkey")
            : Path.Combine(Path.GetTempPath(), "latchkey-" + Environment.UserName);
        return "file://" + directory;
    }
}
