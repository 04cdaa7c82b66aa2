using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Latchkey.Cli;

/// <summary>
/// Starts a .NET app of this build (the CLI, or the bench harness that hosts its engine) as a child process: through its native
/// launcher beside the assembly when there is one, else through the <c>dotnet</c> host that runs us.
/// Works the same under <c>dotnet run</c>, <c>dotnet test</c> and an installed tool.
/// </summary>
public static class ProcessLauncher
{
    /// <summary>A start info that runs <paramref name="assemblyPath"/> with <paramref name="arguments"/>, with standard streams redirected.</summary>
    public static ProcessStartInfo For(string assemblyPath, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(assemblyPath);
        ArgumentNullException.ThrowIfNull(arguments);
        var appHost = OperatingSystem.IsWindows() ? Path.ChangeExtension(assemblyPath, ".exe") : Path.ChangeExtension(assemblyPath, null);
        ProcessStartInfo info;
        if (File.Exists(appHost))
        {
            info = new ProcessStartInfo(appHost);
        }
        else
        {
            info = new ProcessStartInfo(DotnetHost());
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add(assemblyPath);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        return info;
    }

    /// <summary>
    /// A start info that runs this very app (the CLI) with <paramref name="arguments"/>, standard streams redirected:
    /// its assembly through <see cref="For"/>, or, in a single-file or native build that has no assembly file, the executable itself.
    /// </summary>
    public static ProcessStartInfo ForSelf(IEnumerable<string> arguments)
    {
        // Not Assembly.Location: it is empty in a single-file or native build.
        var location = Path.Combine(AppContext.BaseDirectory, typeof(ProcessLauncher).Assembly.GetName().Name + ".dll");
        if (File.Exists(location))
        {
            return For(location, arguments);
        }

        var info = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("The path of this executable is unknown."))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        // The runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
