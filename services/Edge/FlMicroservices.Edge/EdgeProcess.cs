using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;
using MassTransit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Edge;

/// <summary>The edge's composition: the host's, and the tests' (which add the other services' consumers to the same bus).</summary>
public static class EdgeProcess
{
    /// <summary>Kestrel over HTTPS, the bus with the edge's queues (and <paramref name="moreConsumers"/>), the adapters, the edge, the operator API and its audit log.</summary>
    public static WebApplicationBuilder AddEdgeProcess(this WebApplicationBuilder builder, Action<IBusRegistrationConfigurator>? moreConsumers = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEdgeKestrel();
        var instance = builder.Configuration[EdgeOptions.Section + ":" + nameof(EdgeOptions.InstanceId)] ?? new EdgeOptions().InstanceId;
        builder.Services.AddFlMessaging(builder.Configuration, bus =>
        {
            bus.AddEdgeConsumers(instance);
            moreConsumers?.Invoke(bus);
        }, BrokerAccounts.Edge);
        builder.Services.AddFlAdapters(builder.Configuration);
        builder.Services.AddEdgeService(builder.Configuration);
        builder.Services.AddFlOperatorApi(builder.Configuration);
        builder.Services.AddOperatorAuditLog(); // operators' calls to /api/edge, in the audit log the gateway keeps and serves
        builder.Services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler, EdgeAuthorizationResultHandler>());
        return builder;
    }

    /// <summary>The node API (node tokens), the operator API under /api/edge (operators' bearer tokens and roles), and the operator API's documents.</summary>
    public static WebApplication MapEdgeProcess(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapEdgeNodeApi();
        var (read, operate) = app.MapEdgeOperatorApi();
        read.RequireOperator(OperatorPolicies.Read);
        operate.RequireOperator(OperatorPolicies.Operate);
        app.MapFlOperatorApi(); // tokens, roles and rate limits; /openapi/v1.json and the API page /scalar/
        return app;
    }
}
