# syntax=docker/dockerfile:1
# The ModelRegistry service. Build context: the repository root, e.g.
#   docker build -f docker/services/ModelRegistry.Dockerfile -t flmicroservices/modelregistry .
# All service Dockerfiles share one pattern (docs/deployment.md); scripts/check-docker.sh checks that the project files
# copied before the restore are exactly what the host project's ProjectReference closure needs.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# 1. What `dotnet restore` reads: SDK pin, build settings (central package versions, the build/ inline task) and the
#    project files. The restore layer is rebuilt only when one of these changes, not on every source edit.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY shared/Contracts/FlMicroservices.Contracts.csproj shared/Contracts/
COPY shared/Core/FlMicroservices.Core.csproj shared/Core/
COPY shared/Infrastructure/FlMicroservices.Infrastructure.csproj shared/Infrastructure/
COPY shared/Infrastructure.Stores/FlMicroservices.Infrastructure.Stores.csproj shared/Infrastructure.Stores/
COPY shared/ServiceDefaults/FlMicroservices.ServiceDefaults.csproj shared/ServiceDefaults/
COPY shared/Training/FlMicroservices.Training.csproj shared/Training/
COPY services/ModelRegistry/FlMicroservices.ModelRegistry/FlMicroservices.ModelRegistry.csproj services/ModelRegistry/FlMicroservices.ModelRegistry/
COPY services/ModelRegistry/FlMicroservices.ModelRegistry.Host/FlMicroservices.ModelRegistry.Host.csproj services/ModelRegistry/FlMicroservices.ModelRegistry.Host/
RUN dotnet restore services/ModelRegistry/FlMicroservices.ModelRegistry.Host/FlMicroservices.ModelRegistry.Host.csproj -r linux-x64

# 2. The sources of the same projects, then publish (framework-dependent) without restoring again.
COPY shared/Contracts/ shared/Contracts/
COPY shared/Core/ shared/Core/
COPY shared/Infrastructure/ shared/Infrastructure/
COPY shared/Infrastructure.Stores/ shared/Infrastructure.Stores/
COPY shared/ServiceDefaults/ shared/ServiceDefaults/
COPY shared/Training/ shared/Training/
COPY services/ModelRegistry/ services/ModelRegistry/
RUN dotnet publish services/ModelRegistry/FlMicroservices.ModelRegistry.Host/FlMicroservices.ModelRegistry.Host.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
# TorchSharp's native libtorch (used to evaluate candidate models) needs the GNU OpenMP runtime.
# State kept on disk (the file model store fallback) goes under /data, owned by the image's unprivileged user.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown "$APP_UID" /data
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Storage__ModelStoreRoot=/data/models
EXPOSE 8080
USER $APP_UID
# GET /health/live: the process runs; GET /health/ready: its broker and store connections work.
ENTRYPOINT ["dotnet", "FlMicroservices.ModelRegistry.Host.dll"]
