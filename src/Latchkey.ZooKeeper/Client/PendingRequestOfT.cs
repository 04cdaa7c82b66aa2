namespace Latchkey.ZooKeeper.Client;

/// <summary>A request whose reply completes a task with a decoded result.</summary>
internal sealed class PendingRequest<T>(ReplyDecoder<T> decoder, Action? finished = null) : PendingRequest
{
    // Continuations run on the thread pool, never on the read loop.
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Complete(int error, ref JuteReader reader)
    {
        try
        {
            CompleteCore(error, ref reader);
        }
        finally
        {
            finished?.Invoke();
        }
    }

    public override void Fail(Exception exception)
    {
        _completion.TrySetException(exception);
        finished?.Invoke();
    }

    private void CompleteCore(int error, ref JuteReader reader)
    {
        T result;
        try
        {
            result = decoder(error, ref reader);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.MarshallingError)
        {
            _completion.TrySetException(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, "Connection to ZooKeeper failed: malformed reply.", innerException: ex));
            throw;
        }
#pragma warning disable CA1031 // Whatever the decoder throws (an error reply, or a bug) belongs to this request, not to the read loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _completion.TrySetException(ex);
            return;
        }

        _completion.TrySetResult(result);
    }
}
