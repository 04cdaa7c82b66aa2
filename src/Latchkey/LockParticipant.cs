namespace Latchkey;

/// <summary>One holder or waiter of a primitive, as the backend records it.</summary>
/// <param name="Id">The backend's id for this participant (its key, node or owner value).</param>
/// <param name="Access">Exclusive or shared.</param>
/// <param name="Sequence">Its place in the queue (the fencing token once it holds, where the backend knows it).</param>
/// <param name="Value">The election value, if any.</param>
/// <param name="Since">When it joined, where the backend records it.</param>
public sealed record LockParticipant(string Id, LockAccess Access, long? Sequence, string? Value = null, DateTimeOffset? Since = null);
