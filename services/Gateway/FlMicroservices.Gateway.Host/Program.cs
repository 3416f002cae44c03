using FlMicroservices.Gateway.Host;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;
using Scalar.AspNetCore;

// The operators' one base URL (docs/operator-api.md): each service's operator API behind a YARP reverse proxy, their OpenAPI
// documents as /openapi/<service>.json, and one API page (/scalar/) over all of them. It checks every caller's token, limits
// each caller's rate and keeps the audit log of operator actions (GET /api/audit); the services check the roles again.
return ServiceDefaultsExtensions.RunService("gateway", args, builder =>
{
    var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
    var services = options.Configured(out var problems);
    if (problems.Count > 0) throw new InvalidOperationException($"Invalid configuration: {string.Join("; ", problems)}");
    var (routes, clusters) = GatewayRoutes.For(services);
    builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
    builder.Services.AddSingleton(services);
    builder.Services.AddProblemDetails();
    builder.Services.AddFlOperatorAuth(builder.Configuration);
    builder.Services.AddFlStateStores(builder.Configuration);
    builder.Services.AddOperatorAuditLog();
}, app =>
{
    app.UseFlOperatorAuth(); // the audit log around the rate limit and the role checks: it sees what they refuse
    app.MapReverseProxy();
    app.MapAudit().RequireOperator(OperatorPolicies.Audit);
    var services = app.Services.GetRequiredService<IReadOnlyList<(GatewayService Service, Uri Url)>>();
    app.MapScalarApiReference(options =>
    {
        options.DisableDefaultFonts().DisableTelemetry();
        foreach (var (service, _) in services) options.AddDocument(service.Name, service.Name, GatewayRoutes.DocumentPath(service));
    }).AllowAnonymous();
});
