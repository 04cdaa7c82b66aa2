using Microsoft.Extensions.Options;

namespace Latchkey.Extensions.Hosting;

/// <summary>Checks bound <see cref="LatchkeyOptions"/> at start-up, naming the configuration key that is wrong.</summary>
internal sealed class LatchkeyOptionsValidator(string name, string sectionPath) : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? optionsName, LatchkeyOptions options)
    {
        if (!string.Equals(optionsName, name, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"{sectionPath}:ConnectionString is missing: set it to the backend's connection string (etcd://…, redis://…, zk://…, file:///…, memory://).");
        }

        try
        {
            var given = LockConnectionString.Parse(options.ConnectionString).Parameters;
            if (options.Settings.Keys.FirstOrDefault(given.ContainsKey) is { } twice)
            {
                return ValidateOptionsResult.Fail($"{sectionPath}:Settings:{twice} is also set in {sectionPath}:ConnectionString; set it in one place.");
            }

            // Creating a provider does no I/O, and is where a backend rejects settings it does not know.
            using var probe = (LockProvider)LockProvider.Connect(options.ToConnectionString());
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail($"{sectionPath}:ConnectionString (with {sectionPath}:Settings) is not valid: {ex.Message}");
        }

        return ValidateOptionsResult.Success;
    }
}
