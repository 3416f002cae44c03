using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using FlMicroservices.Contracts;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ServiceDefaults.Api;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Edge;

/// <summary>The node API: enrolment, the push channel, membership, model downloads, uploads and the secure-aggregation messages.</summary>
public static class NodeEndpoints
{
    public static IEndpointRouteBuilder MapEdgeNodeApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(EdgeApi.Enrol, EnrolAsync).AllowAnonymous().RequireEdgeLimit(EdgeRateLimits.Kind.Enrol);
        var node = app.MapGroup("").RequireAuthorization(NodeAuthenticationHandler.Policy);
        node.MapGet(EdgeApi.Events, EventsAsync).RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.Register, (HttpContext http, Enrolments enrolments, IPublishEndpoint bus, IOptions<EdgeOptions> options) =>
            ForwardAsync<RegisterClient>(http, options.Value, m => ClientProblem(http, enrolments, m.ClientId) ?? Refusal.Bad(m.Capabilities is null ? "capabilities are missing" : null), bus))
            .RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.Heartbeat, (HttpContext http, Enrolments enrolments, IPublishEndpoint bus, IOptions<EdgeOptions> options) =>
            ForwardAsync<ClientHeartbeat>(http, options.Value, m => ClientProblem(http, enrolments, m.ClientId)
                ?? Refusal.Bad(!double.IsFinite(m.CpuLoad) || m.FreeMemoryBytes < 0 ? "cpuLoad must be finite and freeMemoryBytes not negative" : null), bus))
            .RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.Manifest, (HttpContext http, Enrolments enrolments, OpenRounds rounds, IPublishEndpoint bus, IOptions<EdgeOptions> options) =>
            ForwardAsync<UpdateSubmitted>(http, options.Value, m => RoundProblem(http, enrolments, rounds, m.TaskId, m.Round, m.ClientId)
                ?? Refusal.Bad(ManifestProblem(m.SliceCount, m.ElementCount, m.Digest, m.ExampleCount, m.Metrics)), bus))
            .RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.MaskedManifest, (HttpContext http, Enrolments enrolments, OpenRounds rounds, IPublishEndpoint bus, IOptions<EdgeOptions> options) =>
            ForwardAsync<MaskedUpdateSubmitted>(http, options.Value, m => RoundProblem(http, enrolments, rounds, m.TaskId, m.Round, m.ClientId)
                ?? Refusal.Bad(ManifestProblem(m.SliceCount, m.ElementCount, m.Digest, m.ExampleCount, m.Metrics) ?? (m.Payload is null ? "payload is missing" : null)), bus))
            .RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.Decline, (HttpContext http, Enrolments enrolments, OpenRounds rounds, IPublishEndpoint bus, IOptions<EdgeOptions> options) =>
            ForwardAsync<UpdateDeclined>(http, options.Value, m => RoundProblem(http, enrolments, rounds, m.TaskId, m.Round, m.ClientId)
                ?? Refusal.Bad(DeclineProblem(m)), bus))
            .RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.SecAgg, (HttpContext http, Enrolments enrolments, OpenRounds rounds, IPublishEndpoint bus, IOptions<EdgeOptions> options) =>
            ForwardAsync<SecAggClientMessage>(http, options.Value, m => RoundProblem(http, enrolments, rounds, m.TaskId, m.Round, m.ClientId)
                ?? Refusal.Bad(m.Payload is not { Length: > 0 } ? "payload is missing" : null), bus))
            .RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapPost(EdgeApi.UploadRoute, UploadAsync).RequireEdgeLimit(EdgeRateLimits.Kind.Uploads);
        node.MapGet(EdgeApi.ModelsBase.TrimEnd('/') + ModelDownload.WeightsRoute, WeightsAsync).RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        node.MapGet(EdgeApi.ModelsBase.TrimEnd('/') + ModelDownload.InfoRoute, InfoAsync).RequireEdgeLimit(EdgeRateLimits.Kind.Requests);
        return app;
    }

    private static async Task<IResult> EnrolAsync(HttpContext http, Enrolments enrolments, IOptions<EdgeOptions> options, CancellationToken cancellationToken)
    {
        var (request, unreadable) = await ReadJsonAsync<EnrolRequest>(http, options.Value.MaxMessageBytes, cancellationToken);
        if (request is null) return await RefuseAsync(http, enrolments, unreadable!.Status, "body", unreadable.Reason);
        var outcome = await enrolments.EnrolAsync(request, cancellationToken);
        if (outcome.Identity is not { } identity) return ApiProblems.Problem(outcome.Status, outcome.Field, outcome.Problem!);
        return TypedResults.Ok(new EnrolResponse(identity.NodeId, identity.ClientIds, identity.EnrolledAt, identity.ExpiresAt, options.Value.Audience));
    }

    // Server-Sent Events: the rounds still open for this node's clients first, then whatever arrives, with a comment line as keep-alive.
    private static async Task EventsAsync(HttpContext http, PushChannels channels, OpenRounds rounds, Enrolments enrolments, CancellationToken cancellationToken)
    {
        var nodeId = NodeOf(http);
        using var lease = channels.Open(nodeId);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var clients = enrolments.Node(nodeId)?.ClientIds ?? [];
        foreach (var round in rounds.OpenFor(clients))
            await WriteEventAsync(http.Response, new PushEvent(EdgeApi.RoundStartedEvent, JsonSerializer.Serialize(round, EdgeJson.Options)), cancellationToken);
        await http.Response.WriteAsync(": connected\n\n", cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    var item = await lease.Reader.ReadAsync(wait.Token);
                    await WriteEventAsync(http.Response, item, cancellationToken);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", cancellationToken);
                    await http.Response.Body.FlushAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        catch (System.Threading.Channels.ChannelClosedException) { }
    }

    private static async Task WriteEventAsync(HttpResponse response, PushEvent item, CancellationToken cancellationToken)
    {
        await response.WriteAsync($"event: {item.Name}\ndata: {item.Json}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static async Task<IResult> UploadAsync(string taskId, int round, string clientId, HttpContext http, Enrolments enrolments, OpenRounds rounds,
        SliceUpload upload, IOptions<EdgeOptions> options, CancellationToken cancellationToken)
    {
        if (RoundProblem(http, enrolments, rounds, taskId, round, clientId) is { } refused) return await RefuseAsync(http, enrolments, refused.Status, "clientId", refused.Reason);
        if (rounds.Started(taskId, round) is not { } started)
            return await RefuseAsync(http, enrolments, StatusCodes.Status403Forbidden, "round", $"round {round} of task '{taskId}' has not started at this edge");
        var cap = options.Value.MaxUploadBytes;
        if (http.Request.ContentLength > cap)
            return await RefuseAsync(http, enrolments, StatusCodes.Status413PayloadTooLarge, "body",
                string.Create(CultureInfo.InvariantCulture, $"the upload is {http.Request.ContentLength} bytes, over Edge:MaxUploadBytes ({cap} bytes)"));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = cap + EdgeApi.SliceFrameHeaderBytes + SliceUpload.MaxFrameBytes;
        UploadOutcome outcome;
        try { outcome = await upload.ReceiveAsync(http.Request.Body, started, clientId, cancellationToken); }
        catch (BadHttpRequestException e) { outcome = new UploadOutcome(null, e.StatusCode, $"the upload could not be read: {e.Message}"); }
        if (outcome.Receipt is { } receipt) return TypedResults.Ok(receipt);
        return await RefuseAsync(http, enrolments, outcome.Status, "body", outcome.Problem!);
    }

    private static async Task<IResult> WeightsAsync(string taskId, int version, IModelVersionReader models, HttpResponse response, CancellationToken cancellationToken)
    {
        if (ModelProblem(taskId, version) is { } problem) return problem;
        if (await models.GetVersionAsync(taskId, version, cancellationToken) is null) return ApiProblems.NotFound("version", $"task '{taskId}' has no model version {version}");
        var weights = await models.LoadWeightsAsync(taskId, version, cancellationToken);
        response.Headers[ModelDownload.DigestHeader] = WeightsFile.Digest(weights);
        return TypedResults.File(WeightsFile.Encode(weights), ModelDownload.ContentType);
    }

    private static async Task<IResult> InfoAsync(string taskId, int version, IModelVersionReader models, CancellationToken cancellationToken)
    {
        if (ModelProblem(taskId, version) is { } problem) return problem;
        return await models.GetVersionAsync(taskId, version, cancellationToken) is { } info
            ? TypedResults.Ok(info)
            : ApiProblems.NotFound("version", $"task '{taskId}' has no model version {version}");
    }

    private static string? DeclineProblem(UpdateDeclined declined) =>
        string.IsNullOrWhiteSpace(declined.Reason) ? "reason is missing"
        : declined.Reason.Length > MaxDeclineReasonLength ? $"reason is {declined.Reason.Length} characters, at most {MaxDeclineReasonLength} are taken"
        : declined.Seconds is { } s && !(double.IsFinite(s) && s >= 0) ? string.Create(CultureInfo.InvariantCulture, $"seconds is {s}: it must be a finite number, 0 or more")
        : null;

    private const int MaxDeclineReasonLength = 500;

    private static IResult? ModelProblem(string taskId, int version) =>
        (IResult?)ApiProblems.BadId("taskId", taskId)
        ?? (version < 0 ? ApiProblems.Problem(StatusCodes.Status400BadRequest, "version", $"model version {version} is not valid: versions start at 0") : null);

    // Reads a bounded JSON body, checks it, and publishes it on the node's behalf.
    private static async Task<IResult> ForwardAsync<T>(HttpContext http, EdgeOptions options, Func<T, Refusal?> check, IPublishEndpoint bus) where T : class
    {
        var (message, refused) = await ReadJsonAsync<T>(http, options.MaxMessageBytes, http.RequestAborted);
        if ((refused ?? check(message!)) is { } refusal)
            return await RefuseAsync(http, http.RequestServices.GetRequiredService<Enrolments>(), refusal.Status, "body", refusal.Reason);
        await bus.Publish(message!, http.RequestAborted);
        return TypedResults.Accepted((string?)null);
    }

    // A bounded JSON body as T, or why it cannot be read (recorded by the caller like every refusal).
    private static async Task<(T? Message, Refusal? Refusal)> ReadJsonAsync<T>(HttpContext http, int maxBytes, CancellationToken cancellationToken) where T : class
    {
        if (http.Request.ContentLength > maxBytes)
            return (null, new(StatusCodes.Status413PayloadTooLarge, $"the body is {http.Request.ContentLength} bytes, over Edge:MaxMessageBytes ({maxBytes})"));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes;
        try
        {
            var message = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, EdgeJson.Options, cancellationToken);
            return message is null ? (null, new(StatusCodes.Status400BadRequest, $"the body is not a {typeof(T).Name}")) : (message, null);
        }
        catch (JsonException e)
        {
            return (null, new(StatusCodes.Status400BadRequest, $"the body is not a valid {typeof(T).Name}: {e.Message}"));
        }
        catch (BadHttpRequestException e)
        {
            return (null, new(e.StatusCode, $"the body could not be read: {e.Message}"));
        }
    }

    private static string NodeOf(HttpContext http) => http.User.FindFirstValue(ClaimTypes.NameIdentifier)!;

    private static Refusal? ClientProblem(HttpContext http, Enrolments enrolments, string? clientId)
    {
        var nodeId = NodeOf(http);
        return !Identifiers.IsValid(clientId) ? Refusal.Bad($"client id '{clientId}' is not valid: {Identifiers.Rule}")
            : enrolments.Node(nodeId)?.ClientIds.Contains(clientId, StringComparer.Ordinal) == true ? null
            : Refusal.Forbidden($"client '{clientId}' is not enrolled by node '{nodeId}'");
    }

    private static Refusal? RoundProblem(HttpContext http, Enrolments enrolments, OpenRounds rounds, string? taskId, int round, string? clientId) =>
        ClientProblem(http, enrolments, clientId)
        ?? (!Identifiers.IsValid(taskId) ? Refusal.Bad($"task id '{taskId}' is not valid: {Identifiers.Rule}") : Refusal.Forbidden(rounds.Problem(taskId!, round, clientId!)));

    private static string? ManifestProblem(int sliceCount, int elementCount, string? digest, int exampleCount, LocalMetrics? metrics) =>
        sliceCount < 1 || elementCount < 1 ? "sliceCount and elementCount must be positive"
        : string.IsNullOrEmpty(digest) || digest.Length > 128 ? "digest must be 1 to 128 characters"
        : exampleCount < 0 ? "exampleCount must not be negative"
        : metrics is null ? "metrics are missing"
        : !double.IsFinite(metrics.TrainLoss) || !double.IsFinite(metrics.TrainSeconds) ? "metrics must be finite numbers"
        : null;

    // Why a request is refused: 403 for what the node may not do, 400 for what is malformed.
    private sealed record Refusal(int Status, string Reason)
    {
        public static Refusal? Bad(string? reason) => reason is null ? null : new(StatusCodes.Status400BadRequest, reason);

        public static Refusal? Forbidden(string? reason) => reason is null ? null : new(StatusCodes.Status403Forbidden, reason);
    }

    private static async Task<IResult> RefuseAsync(HttpContext http, Enrolments enrolments, int status, string field, string reason)
    {
        await enrolments.RecordRefusalAsync(NodeOf(http), $"{http.Request.Method} {http.Request.Path}", reason, http.RequestAborted);
        return ApiProblems.Problem(status, field, reason);
    }
}
