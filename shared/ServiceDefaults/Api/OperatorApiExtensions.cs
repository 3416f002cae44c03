using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scalar.AspNetCore;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>What every service's operator API shares: problem details, bearer tokens and roles, rate limits, the OpenAPI document and the API page.</summary>
public static class OperatorApiExtensions
{
    public static IServiceCollection AddFlOperatorApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddFlOperatorAuth(configuration);
        services.AddProblemDetails();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter())); // enums by name, both ways
        return services;
    }

    /// <summary>
    /// The token, rate-limit and role checks; /openapi/v1.json and /scalar/ (open to all, with its script served by the service: no
    /// fonts CDN, no telemetry, so nothing leaves the deployment).
    /// </summary>
    public static WebApplication MapFlOperatorApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseFlOperatorAuth();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(options => options.DisableDefaultFonts().DisableTelemetry()).AllowAnonymous();
        return app;
    }
}
