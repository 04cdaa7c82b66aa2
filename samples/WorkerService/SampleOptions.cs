namespace Latchkey.Samples.WorkerService;

/// <summary>The sample's own settings (section "Sample" of appsettings.json).</summary>
internal sealed class SampleOptions
{
    /// <summary>How many job loops run at once; more loops than jobs means some find their job's lock taken.</summary>
    public int Workers { get; set; } = 3;

    /// <summary>The job names; each has a lock of the same name.</summary>
    public List<string> Jobs { get; } = [];

    /// <summary>Stop the host after this long; <see langword="null"/> runs until Ctrl+C.</summary>
    public TimeSpan? RunFor { get; set; }
}
