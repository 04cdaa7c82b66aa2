using System.Text.Json.Serialization;
using Latchkey.Cli.Bench;

namespace Latchkey.Cli;

/// <summary>The JSON the CLI writes and reads, generated at compile time (no reflection: trim- and NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(BenchSummary))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>The bench worker's result line: compact, property names as declared (the parent reads it back).</summary>
[JsonSerializable(typeof(ProcessResult))]
internal sealed partial class WorkerJsonContext : JsonSerializerContext;

/// <summary><c>latchkey status --json</c>.</summary>
internal sealed record StatusDocument(string Kind, string Name, string Backend, bool Held, IReadOnlyList<ParticipantDocument> Holders, IReadOnlyList<ParticipantDocument> Waiters);

/// <summary>A holder or waiter in <see cref="StatusDocument"/>.</summary>
internal sealed record ParticipantDocument(
    string Id,
    string Access,
    long? Token,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? Since,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? AgeSeconds);
