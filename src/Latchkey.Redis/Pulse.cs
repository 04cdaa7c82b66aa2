namespace Latchkey.Redis;

/// <summary>
/// A reusable wake-up: take <see cref="Next"/> before looking at the server, then wait on it; a
/// <see cref="Fire"/> in between completes it, so no wake-up is lost between the look and the wait.
/// </summary>
internal sealed class Pulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Fire() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
