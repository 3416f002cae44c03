using FlMicroservices.Gateway.Host;
using FlMicroservices.ServiceDefaults;
using Scalar.AspNetCore;

// The operators' one base URL (docs/operator-api.md): each service's operator API behind a YARP reverse proxy, their OpenAPI
// documents as /openapi/<service>.json, and one API page (/scalar/) over all of them.
return ServiceDefaultsExtensions.RunService("gateway", args, builder =>
{
    var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
    var services = options.Configured(out var problems);
    if (problems.Count > 0) throw new InvalidOperationException($"Invalid configuration: {string.Join("; ", problems)}");
    var (routes, clusters) = GatewayRoutes.For(services);
    builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
    builder.Services.AddSingleton(services);
}, app =>
{
    app.MapReverseProxy();
    var services = app.Services.GetRequiredService<IReadOnlyList<(GatewayService Service, Uri Url)>>();
    app.MapScalarApiReference(options =>
    {
        options.DisableDefaultFonts().DisableTelemetry();
        foreach (var (service, _) in services) options.AddDocument(service.Name, service.Name, GatewayRoutes.DocumentPath(service));
    });
});
