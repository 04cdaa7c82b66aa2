namespace Latchkey;

/// <summary>Who leads an election.</summary>
/// <param name="Value">The value the leader announced.</param>
/// <param name="Term">The leader's fencing token: higher terms are later leaders.</param>
public sealed record LeaderInfo(string Value, long Term);
