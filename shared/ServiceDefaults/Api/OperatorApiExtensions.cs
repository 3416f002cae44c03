using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Scalar.AspNetCore;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>What every service's operator API shares: problem details, the OpenAPI document and the interactive API page.</summary>
public static class OperatorApiExtensions
{
    public static IServiceCollection AddFlOperatorApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter())); // enums by name, both ways
        return services;
    }

    /// <summary>/openapi/v1.json, and /scalar/ with its script served by the service: no fonts CDN, no telemetry (nothing leaves the deployment).</summary>
    public static WebApplication MapFlOperatorApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi();
        app.MapScalarApiReference(options => options.DisableDefaultFonts().DisableTelemetry());
        return app;
    }
}
