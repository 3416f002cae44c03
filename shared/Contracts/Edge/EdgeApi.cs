namespace FlMicroservices.Contracts.Edge;

/// <summary>The edge's HTTP API for nodes (docs/edge.md): routes, the authentication scheme and the upload framing.</summary>
public static class EdgeApi
{
    /// <summary>POST <see cref="EnrolRequest"/>: a node enrols once with an operator's one-time token.</summary>
    public const string Enrol = "/v1/enrol";

    /// <summary>GET: the server-push channel (Server-Sent Events) of round assignments and secure-aggregation messages.</summary>
    public const string Events = "/v1/events";

    /// <summary>POST a RegisterClient (JSON).</summary>
    public const string Register = "/v1/clients/register";

    /// <summary>POST a ClientHeartbeat (JSON).</summary>
    public const string Heartbeat = "/v1/clients/heartbeat";

    /// <summary>POST a stream of framed FLS1 slices of one client's update (<see cref="SliceFrameHeaderBytes"/>).</summary>
    public const string UploadRoute = "/v1/updates/{taskId}/{round:int}/{clientId}/slices";

    /// <summary>POST an UpdateSubmitted (JSON).</summary>
    public const string Manifest = "/v1/updates/manifest";

    /// <summary>POST a MaskedUpdateSubmitted (JSON).</summary>
    public const string MaskedManifest = "/v1/updates/masked-manifest";

    /// <summary>POST an UpdateDeclined (JSON): a selected client will not send this round.</summary>
    public const string Decline = "/v1/updates/decline";

    /// <summary>POST a SecAggClientMessage (JSON).</summary>
    public const string SecAgg = "/v1/secagg";

    /// <summary>The base of the model download proxy: the model registry's routes below it (ModelDownload).</summary>
    public const string ModelsBase = "/v1/";

    /// <summary>The Authorization scheme of a node's signed token (<see cref="NodeToken"/>).</summary>
    public const string Scheme = "FlNode";

    /// <summary>Server-Sent Event names on <see cref="Events"/>.</summary>
    public const string RoundStartedEvent = "round-started";
    public const string SecAggServerEvent = "secagg-server";

    public const string SliceStreamContentType = "application/vnd.fl.slices";

    /// <summary>Each slice in an upload is a little-endian u32 byte length, then the FLS1 bytes (UpdateSliceCodec).</summary>
    public const int SliceFrameHeaderBytes = 4;

    public static string UploadPath(string taskId, int round, string clientId) =>
        $"/v1/updates/{Uri.EscapeDataString(taskId)}/{round.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(clientId)}/slices";
}
