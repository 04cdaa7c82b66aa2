// A worker service that takes a Latchkey lock per job, runs one leader-elected service, and exports Latchkey's
// metrics (meter "Latchkey") and traces (ActivitySource "Latchkey") to the console.
//
//   dotnet run --project samples/WorkerService                                   # memory://, until Ctrl+C
//   dotnet run --project samples/WorkerService -- --Sample:RunFor=00:00:10       # stop by itself after 10 s
//   dotnet run --project samples/WorkerService -- --Latchkey:ConnectionString=file:///tmp/latchkey-sample
//                                                 (start it twice: one instance leads, both share the job locks)
using Latchkey.Extensions.Hosting;
using Latchkey.Samples.WorkerService;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

// appsettings.json is read beside the binary, so `dotnet run --project` works from any directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

// The provider, bound from the "Latchkey" section of appsettings.json and validated at start.
builder.Services.AddLatchkey(builder.Configuration.GetSection(LatchkeyHostingServiceCollectionExtensions.SectionName));
builder.Services.Configure<SampleOptions>(builder.Configuration.GetSection("Sample"));
builder.Services.AddHostedService<JobRunner>();
builder.Services.AddLeaderService<ReportScheduler>("sample/scheduler");
builder.Services.AddHostedService<StopAfter>();

builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("latchkey-worker-sample"))
    .WithMetrics(metrics => metrics
        .AddMeter("Latchkey")
        .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 3000))
    .WithTracing(tracing => tracing
        .AddSource("Latchkey", JobRunner.ActivitySourceName)
        .AddConsoleExporter());

await builder.Build().RunAsync();
