using FlMicroservices.ModelRegistry.Host;
using FlMicroservices.PrivacyAccounting.Host;
using FlMicroservices.Registry.Host;
using FlMicroservices.Reward.Host;
using FlMicroservices.Selector.Host;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Builder;

namespace FlMicroservices.Cli.Dashboard;

/// <summary>Every service's operator endpoints in one web host, each group behind the policy its own service gives it.</summary>
public static class EmbeddedOperatorApi
{
    public static WebApplication MapEmbeddedOperatorApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapTaskCreation().RequireOperator(OperatorPolicies.Operate);
        app.MapClients().RequireOperator(OperatorPolicies.Read);
        var (read, operate) = app.MapTasks();
        read.RequireOperator(OperatorPolicies.Read);
        operate.RequireOperator(OperatorPolicies.Operate);
        app.MapModelVersions().RequireOperator(OperatorPolicies.Read);
        app.MapModelPromotions().RequireOperator(OperatorPolicies.Operate);
        app.MapRewards().RequireOperator(OperatorPolicies.Read);
        app.MapPrivacy().RequireOperator(OperatorPolicies.Read);
        app.MapFlOperatorApi();
        return app;
    }
}
