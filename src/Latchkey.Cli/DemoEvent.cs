namespace Latchkey.Cli;

/// <summary>Something a demo worker did, when (Stopwatch timestamp, as the demo saw it).</summary>
internal sealed record DemoEvent(string Worker, DemoEventKind Kind, long Token, long Timestamp);
