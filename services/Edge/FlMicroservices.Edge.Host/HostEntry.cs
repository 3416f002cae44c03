namespace FlMicroservices.Edge.Host;

/// <summary>Names this host's assembly for in-process tests (WebApplicationFactory&lt;HostEntry&gt; runs its Program).</summary>
public sealed class HostEntry;
