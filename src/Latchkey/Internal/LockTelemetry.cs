using System.Diagnostics;
using System.Diagnostics.Metrics;
using Latchkey.Backend;

namespace Latchkey.Internal;

/// <summary>
/// What every acquire and release reports, once for every backend, on the <c>Latchkey</c> meter and activity
/// source (System.Diagnostics: no OpenTelemetry dependency; near-free when nobody listens). Metric attributes:
/// <c>latchkey.backend</c> (scheme), <c>latchkey.lock.kind</c>, <c>latchkey.outcome</c> for acquires, and
/// <c>latchkey.lock.name</c> only when <see cref="LockProviderOptions.RecordLockNamesInMetrics"/> opts in (names
/// may be unbounded). Spans always carry the name.
/// </summary>
internal static class LockTelemetry
{
    public const string SourceName = "Latchkey";

    private static readonly Meter Meter = new(SourceName);
    private static readonly ActivitySource Source = new(SourceName);

    private static readonly Histogram<double> AcquireDuration = Meter.CreateHistogram(
        "latchkey.lock.acquire.duration", "s", "Time from asking for a lock to holding it or giving up (latchkey.outcome: acquired, timeout, cancelled, failed).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    private static readonly Histogram<double> HoldDuration = Meter.CreateHistogram(
        "latchkey.lock.hold.duration", "s", "Time a lock was held, until its release.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] });

    private static readonly UpDownCounter<long> Held = Meter.CreateUpDownCounter<long>("latchkey.lock.held", "{lock}", "Locks this process holds now.");

    private static readonly Counter<long> Lost = Meter.CreateCounter<long>("latchkey.lock.lost", "{lock}", "Held locks whose Lost fired: they could no longer be guaranteed.");

    private static readonly Counter<long> ReleaseFailures = Meter.CreateCounter<long>(
        "latchkey.lock.release.failures", "{release}", "Releases on dispose that could not be confirmed (the lease or TTL frees the lock).");

    /// <summary>Starts timing (and tracing) an acquire; free when nobody listens.</summary>
    public static AcquireScope StartAcquire(LockProvider provider, LockRequest request)
    {
        var activity = Source.StartActivity("latchkey.acquire", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.DisplayName = $"latchkey acquire {KindName(request.Kind)}";
            activity.SetTag("latchkey.backend", provider.Capabilities.Backend);
            activity.SetTag("latchkey.lock.kind", KindName(request.Kind));
            activity.SetTag("latchkey.lock.name", request.Name);
        }

        return new AcquireScope(AcquireDuration.Enabled || activity is not null ? Stopwatch.GetTimestamp() : 0, activity);
    }

    /// <summary>The acquire ended: with <paramref name="lease"/>, or without (<paramref name="outcome"/> says why).</summary>
    public static void EndAcquire(in AcquireScope scope, LockProvider provider, LockRequest request, LockAcquisition? lease, string outcome, Exception? error = null)
    {
        if (scope.Activity is { } activity)
        {
            activity.SetTag("latchkey.outcome", outcome);
            activity.SetTag("latchkey.wait.seconds", Stopwatch.GetElapsedTime(scope.Started).TotalSeconds);
            if (lease is not null)
            {
                activity.SetTag("latchkey.fencing_token", lease.FencingToken);
            }

            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, error.Message);
                activity.SetTag("error.type", error.GetType().FullName);
            }

            activity.Dispose();
        }

        if (AcquireDuration.Enabled && scope.Started != 0)
        {
            var tags = Tags(provider, request.Kind, request.Name);
            tags.Add("latchkey.outcome", outcome);
            AcquireDuration.Record(Stopwatch.GetElapsedTime(scope.Started).TotalSeconds, tags);
        }

        if (lease is null)
        {
            return;
        }

        if (HoldDuration.Enabled || Lost.Enabled)
        {
            var telemetry = new HeldTelemetry { Since = Stopwatch.GetTimestamp() };
            if (Lost.Enabled && lease.Lost.CanBeCanceled)
            {
                telemetry.LostRegistration = lease.Lost.UnsafeRegister(static state => Lost.Add(1, (TagList)state!), Tags(provider, request.Kind, request.Name));
            }

            lease.Telemetry = telemetry;
        }

        if (Held.Enabled)
        {
            Held.Add(1, Tags(provider, request.Kind, request.Name));
        }
    }

    /// <summary>A held lease is being released (once per lease, by whichever handle frees it).</summary>
    public static Activity? StartRelease(LockProvider provider, LockKind kind, string name, LockAcquisition lease)
    {
        if (lease.Telemetry is { } telemetry)
        {
            telemetry.LostRegistration.Dispose(); // a release is not a loss, even if the backend cancels Lost on the way
            if (HoldDuration.Enabled)
            {
                HoldDuration.Record(Stopwatch.GetElapsedTime(telemetry.Since).TotalSeconds, Tags(provider, kind, name));
            }
        }

        if (Held.Enabled)
        {
            Held.Add(-1, Tags(provider, kind, name));
        }

        var activity = Source.StartActivity("latchkey.release", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.DisplayName = $"latchkey release {KindName(kind)}";
            activity.SetTag("latchkey.backend", provider.Capabilities.Backend);
            activity.SetTag("latchkey.lock.kind", KindName(kind));
            activity.SetTag("latchkey.lock.name", name);
            activity.SetTag("latchkey.fencing_token", lease.FencingToken);
        }

        return activity;
    }

    /// <summary>A release on dispose could not be confirmed.</summary>
    public static void ReleaseFailed(LockProvider provider, LockKind kind, string name)
    {
        if (ReleaseFailures.Enabled)
        {
            ReleaseFailures.Add(1, Tags(provider, kind, name));
        }
    }

    private static TagList Tags(LockProvider provider, LockKind kind, string name)
    {
        var tags = new TagList { { "latchkey.backend", provider.Capabilities.Backend }, { "latchkey.lock.kind", KindName(kind) } };
        if (provider.RecordLockNamesInMetrics)
        {
            tags.Add("latchkey.lock.name", name);
        }

        return tags;
    }

    private static string KindName(LockKind kind) => kind switch
    {
        LockKind.Lock => "lock",
        LockKind.ReaderWriter => "reader_writer",
        LockKind.Semaphore => "semaphore",
        _ => "election",
    };

    /// <summary>An acquire in progress: when it started (0 when untimed) and its span.</summary>
    public readonly record struct AcquireScope(long Started, Activity? Activity);
}

/// <summary>A held acquisition's telemetry: when it was handed out, and the loss counter's hook on its <c>Lost</c>.</summary>
internal sealed class HeldTelemetry
{
    public long Since { get; init; }

    public CancellationTokenRegistration LostRegistration { get; set; }
}
