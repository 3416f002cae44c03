using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlMicroservices.Contracts.V1;
using System.Net.Http.Headers;
using FlMicroservices.Dashboard.SignIn;
using FlMicroservices.Dashboard.Views;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Dashboard;

/// <summary>The operator API as the dashboard uses it (docs/operator-api.md); a refusal throws <see cref="ApiProblemException"/>.</summary>
public sealed class OperatorApiClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly HttpClient _http;
    private readonly OperatorCredentials _credentials;

    public OperatorApiClient(HttpClient http, IOptions<DashboardOptions> options, OperatorCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _credentials = credentials;
        _http.BaseAddress ??= new Uri(options.Value.ApiUrl); // the token comes per request: the signed-in person's (OperatorCredentials)
    }

    public Task<ApiPage<TaskSummaryView>> TasksAsync(int offset, int limit, CancellationToken cancellationToken) =>
        GetAsync<ApiPage<TaskSummaryView>>($"api/tasks?offset={offset}&limit={limit}", cancellationToken);

    public Task<TaskDetailView> TaskAsync(string taskId, CancellationToken cancellationToken) =>
        GetAsync<TaskDetailView>($"api/tasks/{Escape(taskId)}", cancellationToken);

    public Task<ApiPage<RoundView>> RoundsAsync(string taskId, int offset, int limit, CancellationToken cancellationToken) =>
        GetAsync<ApiPage<RoundView>>($"api/tasks/{Escape(taskId)}/rounds?offset={offset}&limit={limit}", cancellationToken);

    /// <summary>Every round of the task, fetched a page of 500 at a time.</summary>
    public async Task<List<RoundView>> AllRoundsAsync(string taskId, CancellationToken cancellationToken)
    {
        var rounds = new List<RoundView>();
        while (true)
        {
            var page = await RoundsAsync(taskId, rounds.Count, 500, cancellationToken).ConfigureAwait(false);
            rounds.AddRange(page.Items);
            if (page.Items.Length == 0 || rounds.Count >= page.Total) return rounds;
        }
    }

    public Task<TaskSummaryView> CreateTaskAsync(string taskId, TaskSpec spec, CancellationToken cancellationToken) =>
        SendAsync<TaskSummaryView>(HttpMethod.Post, "api/tasks", new { taskId, spec }, cancellationToken);

    /// <summary>cancel, pause or resume.</summary>
    public Task<TaskSummaryView> OperateAsync(string taskId, string verb, CancellationToken cancellationToken) =>
        SendAsync<TaskSummaryView>(HttpMethod.Post, $"api/tasks/{Escape(taskId)}/{verb}", null, cancellationToken);

    public Task<ModelVersionPageView> ModelsAsync(string taskId, CancellationToken cancellationToken) =>
        GetAsync<ModelVersionPageView>($"api/tasks/{Escape(taskId)}/models?limit=500", cancellationToken);

    public Task<ModelVersionDetailView> ModelAsync(string taskId, int version, CancellationToken cancellationToken) =>
        GetAsync<ModelVersionDetailView>($"api/tasks/{Escape(taskId)}/models/{version}", cancellationToken);

    public Task<ModelComparisonView> CompareAsync(string taskId, int a, int b, CancellationToken cancellationToken) =>
        GetAsync<ModelComparisonView>($"api/tasks/{Escape(taskId)}/models/compare?a={a}&b={b}", cancellationToken);

    public Task<PromotionResultView> PromoteAsync(string taskId, int version, string reason, CancellationToken cancellationToken) =>
        SendAsync<PromotionResultView>(HttpMethod.Post, $"api/tasks/{Escape(taskId)}/models/{version}/promote", new { reason }, cancellationToken);

    public Task<PromotionResultView> RollbackAsync(string taskId, int? to, string reason, CancellationToken cancellationToken) =>
        SendAsync<PromotionResultView>(HttpMethod.Post, $"api/tasks/{Escape(taskId)}/models/rollback", new { to, reason }, cancellationToken);

    /// <summary>The version's export (a zip of weights.bin and manifest.json), streamed.</summary>
    public async Task<HttpResponseMessage> ExportAsync(string taskId, int version, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(HttpMethod.Get, $"api/tasks/{Escape(taskId)}/models/{version}/export").ConfigureAwait(false);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            using (response) throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    /// <summary>One page of clients: <paramref name="healthy"/> and <paramref name="rejected"/> filter, <paramref name="sort"/> names the order (see GET /api/clients).</summary>
    public Task<ApiPage<ClientView>> ClientsAsync(bool? healthy, string? dataset, string? model, string? sort, bool descending, int offset, int limit,
        CancellationToken cancellationToken, bool? rejected = null)
    {
        var query = $"api/clients?offset={offset}&limit={limit}&descending={(descending ? "true" : "false")}";
        if (healthy is { } h) query += $"&healthy={(h ? "true" : "false")}";
        if (rejected is { } r) query += $"&rejected={(r ? "true" : "false")}";
        if (!string.IsNullOrWhiteSpace(dataset)) query += $"&dataset={Uri.EscapeDataString(dataset)}";
        if (!string.IsNullOrWhiteSpace(model)) query += $"&model={Uri.EscapeDataString(model)}";
        if (!string.IsNullOrWhiteSpace(sort)) query += $"&sort={Uri.EscapeDataString(sort)}";
        return GetAsync<ApiPage<ClientView>>(query, cancellationToken);
    }

    public Task<BalancePageView> BalancesAsync(string? taskId, int offset, int limit, CancellationToken cancellationToken) =>
        GetAsync<BalancePageView>($"api/rewards/balances?offset={offset}&limit={limit}" + (string.IsNullOrEmpty(taskId) ? "" : $"&task={Uri.EscapeDataString(taskId)}"),
            cancellationToken);

    public Task<TaskRewardsView> TaskRewardsAsync(string taskId, CancellationToken cancellationToken) =>
        GetAsync<TaskRewardsView>($"api/tasks/{Escape(taskId)}/rewards?limit=500", cancellationToken);

    public Task<PrivacyView> PrivacyAsync(string taskId, CancellationToken cancellationToken) =>
        GetAsync<PrivacyView>($"api/tasks/{Escape(taskId)}/privacy?limit=1", cancellationToken);

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (await _credentials.TokenAsync().ConfigureAwait(false) is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(method, path).ConfigureAwait(false);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false))
            ?? throw new ApiProblemException((int)response.StatusCode, null, $"{response.RequestMessage?.RequestUri} answered an empty body", []);
    }

    private static async Task<ApiProblemException> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var problems = root.TryGetProperty("problems", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(p => p.ToString()).ToArray() : [];
            return new ApiProblemException(status, Text("field"), Text("detail") ?? Text("title") ?? $"HTTP {status}", problems);
        }
        catch (JsonException)
        {
            var detail = string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase ?? "" : text.Length > 300 ? text[..300] : text;
            return new ApiProblemException(status, null, string.Create(CultureInfo.InvariantCulture, $"HTTP {status} from {response.RequestMessage?.RequestUri}: {detail}"), []);
        }
    }

    private static string Escape(string id) => Uri.EscapeDataString(id);
}
