using Grpc.Core;
using Latchkey.Etcd.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd.Client;

/// <summary>
/// The etcd v3 client of one provider: one HTTP/2 channel to the current member, fail-over to the next
/// member when it is unavailable, auth tokens, deadlines, and errors mapped to Latchkey's exceptions.
/// Every request the lock algorithm sends is idempotent (a compare on a key unique to the acquisition),
/// so a request retried on another member after a lost reply keeps its effect instead of doubling it.
/// </summary>
internal sealed class EtcdClient : IDisposable
{
    private readonly EtcdSettings _settings;
    private readonly ILogger _logger;
    private readonly EtcdEndpoint[] _endpoints;
    private readonly SemaphoreSlim _authGate = new(1, 1);
    private int _current;
    private long _rpcs;
    private long _backgroundRpcs;
    private long _uncertainCalls;

    public EtcdClient(EtcdSettings settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        _endpoints = settings.Endpoints.Select(e => new EtcdEndpoint(e, settings)).ToArray();
    }

    /// <summary>Unary requests and stream openings sent so far on behalf of callers (for tests and the bench: round trips per cycle).</summary>
    public long RequestCount => Interlocked.Read(ref _rpcs);

    /// <summary>Checks sent in the background, off any caller's path (a held key's existence after its watch started late).</summary>
    public long BackgroundRequestCount => Interlocked.Read(ref _backgroundRpcs);

    /// <summary>
    /// Requests that failed after they may have reached etcd (failed over, timed out, cancelled, refused): etcd
    /// may have applied them, or may still. A key whose requests could be among them is never reused.
    /// </summary>
    public long UncertainCalls => Interlocked.Read(ref _uncertainCalls);

    public EtcdSettings Settings => _settings;

    /// <summary>How many members the connection string names: with one, there is nowhere to fail over to.</summary>
    public int EndpointCount => _endpoints.Length;

    public string Describe => string.Join(",", _endpoints.Select(e => e.ToString()));

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        CallAsync("a transaction", (e, o) => e.Kv.TxnAsync(request, o), cancellationToken);

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        CallAsync("a range read", (e, o) => e.Kv.RangeAsync(request, o), cancellationToken);

    /// <summary>A range read that no caller waits for, counted apart in <see cref="BackgroundRequestCount"/>.</summary>
    public Task<RangeResponse> BackgroundRangeAsync(RangeRequest request) =>
        CallAsync("a range read", (e, o) => e.Kv.RangeAsync(request, o), CancellationToken.None, background: true);

    public Task<DeleteRangeResponse> DeleteAsync(DeleteRangeRequest request, CancellationToken cancellationToken) =>
        CallAsync("a delete", (e, o) => e.Kv.DeleteRangeAsync(request, o), cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, CancellationToken cancellationToken) =>
        CallAsync("a lease grant", (e, o) => e.Lease.LeaseGrantAsync(request, o), cancellationToken);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, CancellationToken cancellationToken) =>
        CallAsync("a lease revoke", (e, o) => e.Lease.LeaseRevokeAsync(request, o), cancellationToken);

    /// <summary>Opens a bidirectional stream on the current member. Failures surface on the stream; report them with <see cref="ReportStreamFailure"/>.</summary>
    public async Task<(AsyncDuplexStreamingCall<TRequest, TResponse> Call, int Endpoint)> OpenStreamAsync<TRequest, TResponse>(
        Func<EtcdEndpoint, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> open, CancellationToken cancellationToken)
    {
        var index = Volatile.Read(ref _current);
        var endpoint = _endpoints[index];
        await EnsureAuthenticatedAsync(endpoint, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _rpcs);
        return (open(endpoint, new CallOptions(Headers(endpoint), cancellationToken: cancellationToken)), index);
    }

    /// <summary>A stream on member <paramref name="endpoint"/> broke: move to the next member if it was unavailable.</summary>
    public void ReportStreamFailure(int endpoint, Exception exception)
    {
        if (exception is RpcException rpc && rpc.StatusCode == StatusCode.Unauthenticated)
        {
            _endpoints[endpoint].Token = null;
        }

        FailOver(endpoint, exception);
    }

    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }

        _authGate.Dispose();
    }

    /// <summary>Maps a gRPC failure to the exception Latchkey documents.</summary>
    public Exception Map(RpcException exception, string what)
    {
        var detail = exception.Status.Detail;
        if (detail.Contains("lease not found", StringComparison.OrdinalIgnoreCase))
        {
            return new EtcdLeaseNotFoundException($"The etcd lease expired or was revoked ({detail}).", exception);
        }

        if (exception.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied
            || detail.Contains("authentication failed", StringComparison.OrdinalIgnoreCase)
            || detail.Contains("user name is empty", StringComparison.OrdinalIgnoreCase)
            || detail.Contains("permission denied", StringComparison.OrdinalIgnoreCase))
        {
            return new LockAuthenticationException($"etcd at {Describe} refused {what}: {detail}", exception);
        }

        var hint = exception.StatusCode is StatusCode.Internal or StatusCode.Unknown or StatusCode.Unimplemented
            ? " (is it an etcd v3 server, speaking gRPC over HTTP/2?)"
            : string.Empty;
        return new LockBackendUnavailableException($"etcd at {Describe} could not complete {what}: {exception.StatusCode} {detail}{hint}", exception);
    }

    private async Task<T> CallAsync<T>(string what, Func<EtcdEndpoint, CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken, bool background = false)
    {
        RpcException? last = null;
        var authRetried = false;
        for (var attempt = 0; attempt < _endpoints.Length; attempt++)
        {
            var index = Volatile.Read(ref _current);
            var endpoint = _endpoints[index];
            try
            {
                await EnsureAuthenticatedAsync(endpoint, cancellationToken).ConfigureAwait(false);
                var options = new CallOptions(Headers(endpoint), DateTime.UtcNow + _settings.RequestTimeout, cancellationToken);
                Interlocked.Increment(ref background ? ref _backgroundRpcs : ref _rpcs);
                return await call(endpoint, options).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated && endpoint.Token is not null && !authRetried)
            {
                // An expired simple token: authenticate again and retry once on the same member.
                endpoint.Token = null;
                authRetried = true;
                attempt--;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded || IsBrokenConnection(ex))
            {
                Interlocked.Increment(ref _uncertainCalls);
                last = ex;
                FailOver(index, ex);
            }
            catch (RpcException ex)
            {
                Interlocked.Increment(ref _uncertainCalls);
                throw Map(ex, what);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The channel reports cancellations as OperationCanceledException (ThrowOperationCanceledOnCancellation),
                // and so also a passed deadline: that is a member that did not answer in time.
                Interlocked.Increment(ref _uncertainCalls);
                last = new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer within {_settings.RequestTimeout.TotalSeconds:0.###} s"));
                FailOver(index, last);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _uncertainCalls); // the caller gave up on a request that may have been sent
                throw;
            }
        }

        throw Map(last!, what);
    }

    /// <summary>
    /// The connection to the member broke under the call (gRPC reports that as <see cref="StatusCode.Internal"/>): an
    /// HTTP/2 ping went unanswered — a stalled member, or one cut off while its socket stays open — or the transport
    /// failed. Another member may answer.
    /// </summary>
    private static bool IsBrokenConnection(RpcException exception) =>
        exception.StatusCode == StatusCode.Internal && exception.Status.DebugException is HttpRequestException or IOException;

    private void FailOver(int failed, Exception exception)
    {
        if (_endpoints.Length > 1 && Interlocked.CompareExchange(ref _current, (failed + 1) % _endpoints.Length, failed) == failed)
        {
            _logger.LogWarning(exception, "etcd member {Failed} failed; moving to {Next}", _endpoints[failed], _endpoints[(failed + 1) % _endpoints.Length]);
        }
    }

    private static Metadata? Headers(EtcdEndpoint endpoint) =>
        endpoint.Token is { } token ? new Metadata { { "token", token } } : null;

    private async ValueTask EnsureAuthenticatedAsync(EtcdEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (_settings.UserName is null || endpoint.Token is not null)
        {
            return;
        }

        await _authGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (endpoint.Token is not null)
            {
                return;
            }

            Interlocked.Increment(ref _rpcs);
            var request = new AuthenticateRequest { Name = _settings.UserName, Password = _settings.Password ?? string.Empty };
            var options = new CallOptions(deadline: DateTime.UtcNow + _settings.RequestTimeout, cancellationToken: cancellationToken);
            var response = await endpoint.Auth.AuthenticateAsync(request, options).ResponseAsync.ConfigureAwait(false);
            endpoint.Token = response.Token;
        }
        catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded))
        {
            throw new LockAuthenticationException($"etcd at {endpoint} refused user '{_settings.UserName}': {ex.Status.Detail}", ex);
        }
        finally
        {
            _authGate.Release();
        }
    }
}
