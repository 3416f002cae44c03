using System.Security.Cryptography;
using FlMicroservices.Edge;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.Node.Edge;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Edge.Tests;

/// <summary>The edge process in the test's process: Kestrel over HTTPS on a loopback port, with a certificate the test made.</summary>
public sealed class EdgeServer : IAsyncDisposable
{
    private EdgeServer(WebApplication app, Uri address, TestCertificates certificates, string folder)
    {
        App = app;
        Address = address;
        Certificates = certificates;
        Folder = folder;
    }

    /// <summary>The development issuer's key the edge accepts operators' tokens under.</summary>
    public static readonly byte[] OperatorKey = RandomNumberGenerator.GetBytes(DevelopmentIssuer.KeyBytes);

    public WebApplication App { get; }

    public Uri Address { get; }

    public TestCertificates Certificates { get; }

    public string Folder { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Starts an edge whose data root is <paramref name="folder"/> (so a second start there finds the first's identities).</summary>
    public static async Task<EdgeServer> StartAsync(string folder, IDictionary<string, string?>? settings = null,
        Action<IBusRegistrationConfigurator>? consumers = null, Action<WebApplicationBuilder>? configure = null)
    {
        var certificates = File.Exists(Path.Combine(folder, "tls", "server.pem"))
            ? new TestCertificates(Path.Combine(folder, "tls", "ca.pem"), Path.Combine(folder, "tls", "server.pem"), Path.Combine(folder, "tls", "server.key"))
            : TestCertificates.Create(Path.Combine(folder, "tls"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Root"] = folder,
            ["Storage:State"] = "Sqlite",
            ["Edge:CertificateFile"] = certificates.ServerCertificate,
            ["Edge:CertificateKeyFile"] = certificates.ServerKey,
            ["Edge:InstanceId"] = "test",
            ["urls"] = "https://127.0.0.1:0",
            ["OperatorApi:SigningKey"] = Convert.ToBase64String(OperatorKey),
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        builder.AddEdgeProcess(consumers);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapEdgeProcess();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EdgeServer(app, new Uri(address), certificates, folder);
    }

    /// <summary>An operator's enrolment token for a node of <paramref name="clients"/> clients.</summary>
    public async Task<string> IssueTokenAsync(int clients = 4, TimeSpan? lifetime = null) =>
        (await Services.GetRequiredService<Enrolments>().IssueAsync(clients, lifetime, CancellationToken.None)).Token;

    /// <summary>An operator's bearer token of <paramref name="role"/> for this edge.</summary>
    public static string OperatorToken(string role, string name = "olivia") => DevelopmentIssuer.Mint(OperatorKey, name, role, TimeSpan.FromMinutes(10));

    /// <summary>A node's connection to this edge, trusting the test's certificate authority.</summary>
    public EdgeClient Client(bool plainHttp = false) => new(new EdgeNodeOptions { EdgeUrl = Address.ToString(), EdgeCaFile = Certificates.CaCertificate, EdgeAllowPlainHttp = plainHttp },
        TimeProvider.System);

    /// <summary>Enrols <paramref name="nodeId"/> for <paramref name="clientIds"/> and returns its connection, identity set.</summary>
    public async Task<EdgeClient> EnrolAsync(string nodeId, params string[] clientIds)
    {
        var client = Client();
        client.Identity = await EdgeSession.EnrolAsync(client, await IssueTokenAsync(clientIds.Length), nodeId, clientIds,
            Path.Combine(Folder, "nodes", nodeId + ".json"), CancellationToken.None);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(stopping.Token);
        await App.DisposeAsync();
    }
}
