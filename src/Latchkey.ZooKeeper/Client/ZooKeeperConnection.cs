using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// One TCP connection (or TLS over it) to one server: the handshake, then a read loop, a write loop and a ping loop.
/// Requests are pipelined; the server answers one session's requests in order, so each reply must carry
/// the xid at the head of <see cref="_inFlight"/>, and anything else is a protocol error that fails the connection.
/// </summary>
internal sealed class ZooKeeperConnection : IDisposable
{
    private const int WriteChunk = 64 * 1024;

    private readonly Stream _stream;
    private readonly ZooKeeperClient _owner;
    private readonly TimeProvider _time;
    private readonly int _maxFrame;
    private readonly Lock _lock = new();
    private readonly Queue<PendingRequest> _inFlight = new();
    private readonly Channel<ArraySegment<byte>> _outgoing = Channel.CreateUnbounded<ArraySegment<byte>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private int _nextXid = 1;
    private bool _failed;
    private long _lastReceived;
    private byte[] _readBuffer = new byte[64 * 1024];
    private int _readStart;
    private int _readEnd;

    private ZooKeeperConnection(Stream stream, ZooKeeperClient owner, TimeProvider time, int maxFrame, string endpoint)
    {
        _stream = stream;
        _owner = owner;
        _time = time;
        _maxFrame = maxFrame;
        Endpoint = endpoint;
        _lastReceived = time.GetTimestamp();
    }

    public string Endpoint { get; }

    public ConnectResponse Session { get; private set; }

    public bool IsFailed
    {
        get
        {
            lock (_lock)
            {
                return _failed;
            }
        }
    }

    /// <summary>
    /// Connects (over TLS when <see cref="ZooKeeperClientOptions.Tls"/> is set), shakes hands and authenticates.
    /// Throws <see cref="ZooKeeperException"/> if the server says the session is gone, <see cref="ZooKeeperTlsException"/>
    /// if the TLS handshake fails.
    /// </summary>
    public static async Task<ZooKeeperConnection> OpenAsync(
        ZooKeeperClient owner, string host, int port, ConnectRequest request, IReadOnlyList<ZooKeeperAuth> auth, ZooKeeperClientOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Tls is { } tls)
            {
                stream = await tls.AuthenticateAsync(stream, host, port, cancellationToken).ConfigureAwait(false);
            }

            var connection = new ZooKeeperConnection(stream, owner, options.TimeProvider, options.MaxFrameBytes, $"{host}:{port}");
            await connection.HandshakeAsync(request, auth, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            // A failed TLS handshake has already closed the socket with its stream; disposing again is harmless.
            if (stream is null)
            {
                socket.Dispose();
            }
            else
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Starts the loops. <paramref name="pingInterval"/> is a third of the session timeout; silence longer than <paramref name="readTimeout"/> fails the connection.</summary>
    public void Start(TimeSpan pingInterval, TimeSpan readTimeout)
    {
        _ = ReadLoopAsync();
        _ = WriteLoopAsync();
        _ = PingLoopAsync(pingInterval, readTimeout);
    }

    /// <summary>Sends a request frame (made by <see cref="ZooKeeperCodec"/>). With no <paramref name="fixedXid"/> the next xid is patched in. False if the connection has failed.</summary>
    public bool TrySend(JuteWriter frame, PendingRequest pending, int? fixedXid = null)
    {
        lock (_lock)
        {
            if (_failed)
            {
                return false;
            }

            var xid = fixedXid ?? NextXid();
            BinaryPrimitives.WriteInt32BigEndian(frame.Buffer.AsSpan(ZooKeeperCodec.XidOffset), xid);
            pending.Xid = xid;
            pending.SentAt = _time.GetTimestamp();
            _inFlight.Enqueue(pending);
            _outgoing.Writer.TryWrite(new ArraySegment<byte>(frame.Buffer, 0, frame.Length));
            return true;
        }
    }

    /// <summary>Fails the connection once: closes the socket and fails every request in flight with <paramref name="requestError"/>.</summary>
    public void Fail(Exception reason, Exception requestError)
    {
        PendingRequest[] inFlight;
        lock (_lock)
        {
            if (_failed)
            {
                return;
            }

            _failed = true;
            inFlight = [.. _inFlight];
            _inFlight.Clear();
            _outgoing.Writer.TryComplete();
        }

        _stop.Cancel();
        _stream.Dispose();
        foreach (var pending in inFlight)
        {
            pending.Fail(requestError);
        }

        _owner.OnConnectionFailed(this, reason);
    }

    /// <summary>Fails the connection (the stop source is only cancelled, never disposed, as the loops may still read its token).</summary>
    public void Dispose() => Fail(new ObjectDisposedException(nameof(ZooKeeperConnection)));

    private void Fail(Exception reason) =>
        Fail(reason, new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"Connection to ZooKeeper at {Endpoint} lost: {reason.Message}", innerException: reason));

    private int NextXid()
    {
        var xid = _nextXid;
        _nextXid = xid == int.MaxValue ? 1 : xid + 1;
        return xid;
    }

    private async Task HandshakeAsync(ConnectRequest request, IReadOnlyList<ZooKeeperAuth> auth, CancellationToken cancellationToken)
    {
        var writer = new JuteWriter();
        request.WriteFrame(writer);
        foreach (var credentials in auth)
        {
            var frame = writer.BeginFrame();
            ZooKeeperCodec.WriteHeader(writer, Xid.Auth, OpCode.Auth);
            ZooKeeperCodec.WriteAuth(writer, credentials);
            writer.EndFrame(frame);
        }

        await _stream.WriteAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        var response = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        Session = ConnectResponse.Read(response.Span);
        if (Session.TimeoutMs <= 0)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, $"ZooKeeper at {Endpoint} says session 0x{request.SessionId:x} has expired.");
        }

        // Auth is answered out of the request pipeline, one reply per packet, before anything else is sent.
        for (var i = 0; i < auth.Count; i++)
        {
            var reply = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            var header = ReadHeader(reply.Span);
            if (header.Xid != Xid.Auth)
            {
                throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"Expected the reply to an auth packet from {Endpoint}, got xid {header.Xid}.");
            }

            if (header.Error != 0)
            {
                throw new ZooKeeperException(ZooKeeperErrorCode.AuthFailed, $"ZooKeeper at {Endpoint} refused the '{auth[i].Scheme}' credentials ({(ZooKeeperErrorCode)header.Error}).", path: null);
            }
        }
    }

    private static ReplyHeader ReadHeader(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        return ReplyHeader.Read(ref reader);
    }

    /// <summary>Reads one length-prefixed frame. The memory is valid until the next read.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> ReadFrameAsync(CancellationToken cancellationToken)
    {
        await FillAsync(4, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(_readBuffer.AsSpan(_readStart));
        if (length < 0 || length > _maxFrame)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"Frame length {length} from {Endpoint} is outside 0–{_maxFrame}: not a ZooKeeper server, or a corrupt stream.");
        }

        _readStart += 4;
        await FillAsync(length, cancellationToken).ConfigureAwait(false);
        var frame = _readBuffer.AsMemory(_readStart, length);
        _readStart += length;
        return frame;
    }

    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_readEnd - _readStart >= count)
        {
            return;
        }

        if (_readStart + count > _readBuffer.Length)
        {
            var target = count > _readBuffer.Length ? new byte[Math.Max(count, _readBuffer.Length * 2)] : _readBuffer;
            Buffer.BlockCopy(_readBuffer, _readStart, target, 0, _readEnd - _readStart);
            _readEnd -= _readStart;
            _readStart = 0;
            _readBuffer = target;
        }

        while (_readEnd - _readStart < count)
        {
            var read = await _stream.ReadAsync(_readBuffer.AsMemory(_readEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException($"ZooKeeper at {Endpoint} closed the connection{(_readEnd > _readStart ? " in the middle of a frame" : string.Empty)}.");
            }

            _readEnd += read;
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var frame = await ReadFrameAsync(_stop.Token).ConfigureAwait(false);
                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                Dispatch(frame.Span);
            }
        }
#pragma warning disable CA1031 // Any failure of the read loop must fail the connection, or its requests would wait forever.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fail(ex);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        var header = ReplyHeader.Read(ref reader);
        if (header.Xid == Xid.Notification)
        {
            var (type, state, path) = ZooKeeperCodec.ReadWatcherEvent(ref reader);
            _owner.OnWatchEvent(type, state, path);
            return;
        }

        if (header.Xid == Xid.Auth)
        {
            // Only sent during the handshake; a late one can only be a failure the server closes us after.
            return;
        }

        PendingRequest pending;
        lock (_lock)
        {
            if (!_inFlight.TryPeek(out pending!) || pending.Xid != header.Xid)
            {
                throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"Reply with xid {header.Xid} from {Endpoint}, but the oldest request in flight is {(pending is null ? "none" : pending.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture))}.");
            }

            _inFlight.Dequeue();
        }

        _owner.OnReply(header.Zxid, pending.SentAt);
        pending.Complete(header.Error, ref reader);
    }

    private async Task WriteLoopAsync()
    {
        var chunk = new byte[WriteChunk];
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                var used = 0;
                while (used < WriteChunk && reader.TryRead(out var frame))
                {
                    if (frame.Count > WriteChunk - used)
                    {
                        if (used > 0)
                        {
                            await _stream.WriteAsync(chunk.AsMemory(0, used), _stop.Token).ConfigureAwait(false);
                            used = 0;
                        }

                        if (frame.Count > WriteChunk)
                        {
                            await _stream.WriteAsync(frame.AsMemory(), _stop.Token).ConfigureAwait(false);
                            continue;
                        }
                    }

                    frame.AsSpan().CopyTo(chunk.AsSpan(used));
                    used += frame.Count;
                }

                if (used > 0)
                {
                    await _stream.WriteAsync(chunk.AsMemory(0, used), _stop.Token).ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // Same for the write loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fail(ex);
        }
    }

    private async Task PingLoopAsync(TimeSpan interval, TimeSpan readTimeout)
    {
        try
        {
            var lastPing = _time.GetTimestamp();
            while (true)
            {
                // Wake for the next ping or the moment the silence limit passes, whichever is first: checking only
                // at pings would notice a silent server up to a ping interval late, after the session's loss clock
                // has already given the session up, so a cut link could never fail over to another member.
                var silent = _time.GetElapsedTime(Volatile.Read(ref _lastReceived));
                if (silent > readTimeout)
                {
                    Fail(new TimeoutException($"ZooKeeper at {Endpoint} sent nothing for {silent.TotalMilliseconds:F0} ms (limit {readTimeout.TotalMilliseconds:F0} ms)."));
                    return;
                }

                var untilPing = interval - _time.GetElapsedTime(lastPing);
                if (untilPing > TimeSpan.Zero)
                {
                    var untilSilenceLimit = readTimeout - silent + TimeSpan.FromMilliseconds(1);
                    await Task.Delay(untilPing < untilSilenceLimit ? untilPing : untilSilenceLimit, _time, _stop.Token).ConfigureAwait(false);
                    continue;
                }

                lastPing = _time.GetTimestamp();
                var ping = new JuteWriter(16);
                var frame = ping.BeginFrame();
                ZooKeeperCodec.WriteHeader(ping, Xid.Ping, OpCode.Ping);
                ping.EndFrame(frame);
                if (!TrySend(ping, new InternalRequest(), Xid.Ping))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection was stopped.
        }
    }
}
