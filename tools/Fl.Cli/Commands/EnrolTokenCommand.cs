using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FlMicroservices.Contracts.Edge;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl node enrol-token`: asks the edge's operator API for a one-time enrolment token and prints it (shown once; the edge keeps its hash).</summary>
public static class EnrolTokenCommand
{
    private const string Name = "fl node enrol-token";

    public static Command Create()
    {
        var edge = new Option<string>("--edge") { Description = "https:// URL of the edge", Required = true };
        var clients = new Option<int>("--clients") { Description = "How many clients the enrolling node may speak for", DefaultValueFactory = _ => 1 };
        var lifetime = new Option<double?>("--lifetime-hours") { Description = "How long the token may be used (default: the edge's Edge:EnrolmentTokenLifetime, 24 h)" };
        var edgeCa = new Option<string?>("--edge-ca") { Description = "PEM file of the certificate authority of the edge's certificate (default: the system's trust store)" };
        var token = OperatorApi.TokenOption(); // an admin's or a data scientist's
        var command = new Command("enrol-token", "Issue a one-time enrolment token for a node (an operator call to the edge)") { edge, clients, lifetime, edgeCa, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var count = parse.GetValue(clients);
            if (count is < 1 or > 100_000) return OperatorApi.Invalid(Name, $"--clients {count} must be between 1 and 100000");
            if (parse.GetValue(lifetime) is { } hours && !(hours > 0 && hours <= 720)) return OperatorApi.Invalid(Name, $"--lifetime-hours {hours} must be in (0, 720]");
            if (OperatorApi.BadUrl("--edge", parse.GetValue(edge)!, out var uri) is { } bad) return OperatorApi.Invalid(Name, bad);
            if (parse.GetValue(edgeCa) is { } ca && !File.Exists(ca)) return OperatorApi.Invalid(Name, $"--edge-ca '{ca}' does not exist");
            var bearer = OperatorApi.Token(parse);
            if (OperatorApi.BadToken(bearer) is { } badToken) return OperatorApi.Invalid(Name, badToken);
            using var handler = new SocketsHttpHandler();
            if (parse.GetValue(edgeCa) is { } authority) handler.SslOptions.RemoteCertificateValidationCallback = Node.Edge.EdgeClient.TrustOnly(authority);
            using var http = new HttpClient(handler) { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(60) };
            if (bearer is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            try
            {
                using var response = await http.PostAsJsonAsync("api/edge/enrolment-tokens", new EnrolmentTokenRequest(count, parse.GetValue(lifetime)), EdgeJson.Options, cancellationToken);
                if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync(Name, response, cancellationToken);
                var issued = (await response.Content.ReadFromJsonAsync<EnrolmentTokenIssued>(EdgeJson.Options, cancellationToken))!;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}: token {issued.Id} admits {issued.Clients} client(s) until {issued.ExpiresAt:u}; it is shown once: give it to the node's operator (fl node --edge ... --enrol-token ...)"));
                Console.WriteLine(issued.Token);
                return CliRunner.Ok;
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"{Name}: the edge at {uri} cannot be reached: {e.Message}");
                return CliRunner.Failed;
            }
        });
        return command;
    }
}
