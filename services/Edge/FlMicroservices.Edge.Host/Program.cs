using FlMicroservices.Edge;
using FlMicroservices.ServiceDefaults;

// The edge as its own process: nodes outside the cluster reach the platform only here, over HTTPS (docs/edge.md). It publishes
// on the bus and writes to the update stream on their behalf; brokers and stores come from the same settings as every service's.
return ServiceDefaultsExtensions.RunService("edge", args, builder => builder.AddEdgeProcess(), app => app.MapEdgeProcess());
