using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;

namespace FlMicroservices.Node.Edge;

/// <summary>The node's update stream when it goes through the edge: each client's slices flow into one streamed upload request.</summary>
/// <remarks>The first slice of a client's update opens the request; <see cref="CompleteAsync"/> (before its manifest is sent) ends it
/// and waits for the edge's receipt, so a manifest never overtakes its slices.</remarks>
public sealed class EdgeUploads(EdgeClient edge) : IUpdateStreamProducer
{
    private readonly ConcurrentDictionary<(string Task, int Round, string Client), Upload> _open = new();

    public async Task ProduceAsync(UpdateSlice slice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slice);
        var upload = _open.GetOrAdd((slice.TaskId, slice.Round, slice.ClientId), key => new Upload(edge, key.Task, key.Round, key.Client));
        try
        {
            await upload.Frames.Writer.WriteAsync(UpdateSliceCodec.Encode(slice), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            _open.TryRemove(new((slice.TaskId, slice.Round, slice.ClientId), upload));
            await upload.FinishAsync(cancellationToken); // the edge answered early: throws its reason
            throw new EdgeRequestException(HttpStatusCode.BadRequest, $"edge closed the upload of client '{slice.ClientId}' early");
        }
    }

    /// <summary>Ends the upload of this client's update and waits for the edge's receipt; nothing when no slice was sent.</summary>
    public async Task<UploadReceipt?> CompleteAsync(string taskId, int round, string clientId, CancellationToken cancellationToken)
    {
        if (!_open.TryRemove((taskId, round, clientId), out var upload)) return null;
        upload.Frames.Writer.TryComplete();
        return await upload.FinishAsync(cancellationToken);
    }

    private sealed class Upload
    {
        private readonly Task<HttpResponseMessage> _response;
        private readonly string _what;

        public Upload(EdgeClient edge, string taskId, int round, string clientId)
        {
            _what = $"the upload of client '{clientId}' for {taskId}/{round}";
            var request = new HttpRequestMessage(HttpMethod.Post, EdgeApi.UploadPath(taskId, round, clientId).TrimStart('/'))
            {
                Content = new FramedSlices(Frames.Reader),
            };
            _response = edge.Http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            _response.ContinueWith(_ => Frames.Writer.TryComplete(), TaskScheduler.Default); // a writer never waits on a finished request
        }

        public Channel<byte[]> Frames { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(16) { SingleReader = true });

        public async Task<UploadReceipt> FinishAsync(CancellationToken cancellationToken)
        {
            using var response = await _response.WaitAsync(cancellationToken);
            await EdgeClient.EnsureSuccessAsync(response, _what, cancellationToken);
            return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<UploadReceipt>(response.Content, EdgeJson.Options, cancellationToken))!;
        }
    }

    // The request body: each slice as a little-endian u32 length and its FLS1 bytes, written as the node produces them.
    private sealed class FramedSlices(ChannelReader<byte[]> frames) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var header = new byte[EdgeApi.SliceFrameHeaderBytes];
            await foreach (var frame in frames.ReadAllAsync(cancellationToken))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)frame.Length);
                await stream.WriteAsync(header, cancellationToken);
                await stream.WriteAsync(frame, cancellationToken);
                if (frames.Count == 0) await stream.FlushAsync(cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
