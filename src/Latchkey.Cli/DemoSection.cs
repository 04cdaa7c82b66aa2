namespace Latchkey.Cli;

/// <summary>One critical section from a demo journal: who, with which token, from when to when (Stopwatch timestamps).</summary>
internal sealed record DemoSection(string Worker, long Token, long Enter, long? Exit);
