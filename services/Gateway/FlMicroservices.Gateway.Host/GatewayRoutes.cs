using Yarp.ReverseProxy.Configuration;

namespace FlMicroservices.Gateway.Host;

/// <summary>The proxy's routes: each service's API paths, and its OpenAPI document as /openapi/&lt;service&gt;.json.</summary>
public static class GatewayRoutes
{
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) For(IEnumerable<(GatewayService Service, Uri Url)> services)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var (service, url) in services)
        {
            clusters.Add(new ClusterConfig
            {
                ClusterId = service.Name,
                Destinations = new Dictionary<string, DestinationConfig> { [service.Name] = new() { Address = url.ToString() } },
            });
            routes.AddRange(service.Paths.Select((path, i) => new RouteConfig
            {
                RouteId = $"{service.Name}-{i}", ClusterId = service.Name, Match = Match(path),
            }));
            routes.Add(new RouteConfig
            {
                RouteId = $"{service.Name}-openapi", ClusterId = service.Name, Match = new RouteMatch { Path = DocumentPath(service) },
                AuthorizationPolicy = "Anonymous", // the API's description is open; its calls need a token
                Transforms = [new Dictionary<string, string> { ["PathSet"] = "/openapi/v1.json" }],
            });
        }
        return (routes, clusters);
    }

    // "POST /api/tasks" matches that method only; a bare path matches every method.
    private static RouteMatch Match(string path) =>
        path.Split(' ', 2) is [var method, var rest] ? new RouteMatch { Path = rest, Methods = [method] } : new RouteMatch { Path = path };

    public static string DocumentPath(GatewayService service) => $"/openapi/{service.Name}.json";
}
