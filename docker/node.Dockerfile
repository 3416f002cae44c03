# syntax=docker/dockerfile:1
# A federated-learning node: the node host (services/Node/FlMicroservices.Node.Host), configured like `fl node` but by
# settings. Build context: the repository root, e.g.
#   docker build -f docker/node.Dockerfile -t flmicroservices/node .
#   docker run --rm -e Node__Clients=10 -e Node__Dataset=synthetic -e Node__Id=node-1 flmicroservices/node   (plus the broker settings)
# Same pattern as docker/services/*.Dockerfile; the node has no HTTP endpoint, so it runs on the plain .NET runtime image.
# scripts/check-docker.sh checks the copied project files against the host's ProjectReference closure, and that nothing in
# that closure needs the ASP.NET Core shared framework (which this runtime image lacks).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# 1. What `dotnet restore` reads: SDK pin, build settings and the project files.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY shared/Contracts/FlMicroservices.Contracts.csproj shared/Contracts/
COPY shared/Core/FlMicroservices.Core.csproj shared/Core/
COPY shared/Infrastructure/FlMicroservices.Infrastructure.csproj shared/Infrastructure/
COPY shared/Infrastructure.Stores/FlMicroservices.Infrastructure.Stores.csproj shared/Infrastructure.Stores/
COPY shared/Training/FlMicroservices.Training.csproj shared/Training/
COPY services/Node/FlMicroservices.Node/FlMicroservices.Node.csproj services/Node/FlMicroservices.Node/
COPY services/Node/FlMicroservices.Node.Host/FlMicroservices.Node.Host.csproj services/Node/FlMicroservices.Node.Host/
RUN dotnet restore services/Node/FlMicroservices.Node.Host/FlMicroservices.Node.Host.csproj -r linux-x64

# 2. The sources of the same projects, then publish (framework-dependent) without restoring again.
COPY shared/Contracts/ shared/Contracts/
COPY shared/Core/ shared/Core/
COPY shared/Infrastructure/ shared/Infrastructure/
COPY shared/Infrastructure.Stores/ shared/Infrastructure.Stores/
COPY shared/Training/ shared/Training/
COPY services/Node/ services/Node/
RUN dotnet publish services/Node/FlMicroservices.Node.Host/FlMicroservices.Node.Host.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore

FROM mcr.microsoft.com/dotnet/runtime:10.0 AS final
WORKDIR /app
# TorchSharp's native libtorch (local training) needs the GNU OpenMP runtime. State kept on disk (the file model store
# fallback) goes under /data, owned by the image's unprivileged user.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown "$APP_UID" /data
COPY --from=build /app ./
ENV Storage__ModelStoreRoot=/data/models
USER $APP_UID
ENTRYPOINT ["dotnet", "FlMicroservices.Node.Host.dll"]
