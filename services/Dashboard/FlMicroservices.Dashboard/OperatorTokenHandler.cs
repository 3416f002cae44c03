using System.Net.Http.Headers;

namespace FlMicroservices.Dashboard;

/// <summary>Puts the dashboard's operator token on every request to the operator API.</summary>
public sealed class OperatorTokenHandler(OperatorTokenSource tokens) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (tokens.Current() is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return base.SendAsync(request, cancellationToken);
    }
}
