using Latchkey.Conformance;
using Latchkey.Backend;

namespace Latchkey.Tests;

/// <summary>The batching mechanism the etcd and Redis backends share, driven by hand: no server, the calls are ours to end.</summary>
public sealed class RequestBatcherTests
{
    [Fact]
    public async Task RequestsGoAloneWhileSlotsAreFree_ThenWaitAndShareTheNextCall()
    {
        using var instruments = new BackendInstruments("test");
        using var calls = BackendCounter.Listen(instruments, "latchkey.backend.calls");
        using var requests = BackendCounter.Listen(instruments, "latchkey.backend.requests");
        using var batchCalls = BackendCounter.Listen(instruments, "latchkey.backend.calls", BackendCounter.Batched);
        using var batchedRequests = BackendCounter.Listen(instruments, "latchkey.backend.requests", BackendCounter.Batched);
        var batcher = new HandBatcher(maxInFlight: 2, instruments);
        Assert.True(batcher.Submit(new Job(1)).Alone);
        Assert.True(batcher.Submit(new Job(2)).Alone);
        var waiting = Enumerable.Range(3, 5).Select(i => batcher.Submit(new Job(i))).ToList();
        Assert.All(waiting, w => Assert.False(w.Alone));
        Assert.Empty(batcher.Sent);

        batcher.EndAlone(); // the first lone call ended: its slot sends everything that waited, as one call
        var batch = Assert.Single(batcher.Sent);
        Assert.Equal([3, 4, 5, 6, 7], batch.Select(j => j.Id));
        batcher.Answer(batch);
        foreach (var (job, _) in waiting)
        {
            Assert.Equal(job.Id * 10, await job.Result.Task);
        }

        Assert.Equal(3, calls.Value);
        Assert.Equal(7, requests.Value);
        Assert.Equal(1, batchCalls.Value);
        Assert.Equal(5, batchedRequests.Value);

        batcher.EndAlone(); // nothing waits: both slots are free again
        Assert.True(batcher.Submit(new Job(8)).Alone);
    }

    [Fact]
    public async Task AFailedBatch_FailsEveryRequestInIt_EachWithItsOwnException()
    {
        var batcher = new HandBatcher(maxInFlight: 1);
        Assert.True(batcher.Submit(new Job(1)).Alone);
        var waiting = Enumerable.Range(2, 3).Select(i => batcher.Submit(new Job(i)).Job).ToList();
        batcher.EndAlone();

        batcher.FailSent(new LockBackendUnavailableException("gone"));
        var errors = new List<Exception>();
        foreach (var job in waiting)
        {
            errors.Add(await Assert.ThrowsAsync<LockBackendUnavailableException>(() => job.Result.Task));
        }

        Assert.Equal(3, errors.Distinct().Count());
        Assert.All(errors, e => Assert.Equal("gone", e.Message));
    }

    private sealed record Job(int Id)
    {
        public TaskCompletionSource<int> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class HandBatcher(int maxInFlight, BackendInstruments? instruments = null)
        : RequestBatcher<Job>(maxInFlight, instruments ?? new BackendInstruments("test"))
    {
        private readonly List<TaskCompletionSource> _calls = [];

        public List<List<Job>> Sent { get; } = [];

        public (Job Job, bool Alone) Submit(Job job) => (job, SendsAlone(job));

        public void EndAlone() => Done();

        public void Answer(List<Job> batch)
        {
            foreach (var job in batch)
            {
                job.Result.TrySetResult(job.Id * 10);
            }

            _calls[Sent.IndexOf(batch)].SetResult();
        }

        public void FailSent(Exception exception) => _calls[^1].SetException(exception);

        protected override List<Job> TakeBatch(List<Job> waiting)
        {
            var all = waiting.ToList();
            waiting.Clear();
            return all;
        }

        protected override Task SendBatchAsync(List<Job> batch)
        {
            Sent.Add(batch);
            var call = new TaskCompletionSource();
            _calls.Add(call);
            return call.Task;
        }

        protected override void Fail(Job request, Exception exception) => request.Result.TrySetException(exception);
    }
}
