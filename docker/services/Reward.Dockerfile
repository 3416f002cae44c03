# syntax=docker/dockerfile:1
# The Reward service. Build context: the repository root, e.g.
#   docker build -f docker/services/Reward.Dockerfile -t flmicroservices/reward .
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
COPY services/Reward/FlMicroservices.Reward/FlMicroservices.Reward.csproj services/Reward/FlMicroservices.Reward/
COPY services/Reward/FlMicroservices.Reward.Host/FlMicroservices.Reward.Host.csproj services/Reward/FlMicroservices.Reward.Host/
RUN dotnet restore services/Reward/FlMicroservices.Reward.Host/FlMicroservices.Reward.Host.csproj -r linux-x64

# 2. The sources of the same projects, then publish (framework-dependent) without restoring again.
COPY shared/Contracts/ shared/Contracts/
COPY shared/Core/ shared/Core/
COPY shared/Infrastructure/ shared/Infrastructure/
COPY shared/Infrastructure.Stores/ shared/Infrastructure.Stores/
COPY shared/ServiceDefaults/ shared/ServiceDefaults/
COPY services/Reward/ services/Reward/
RUN dotnet publish services/Reward/FlMicroservices.Reward.Host/FlMicroservices.Reward.Host.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
# State kept on disk (the file model store fallback, aggregation checkpoints) goes under /data, owned by the image's
# unprivileged user.
RUN mkdir -p /data && chown "$APP_UID" /data
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Storage__ModelStoreRoot=/data/models
EXPOSE 8080
USER $APP_UID
# GET /health/live: the process runs; GET /health/ready: its broker and store connections work.
ENTRYPOINT ["dotnet", "FlMicroservices.Reward.Host.dll"]
