# syntax=docker/dockerfile:1
# The operators' dashboard (docs/dashboard.md): pages over the gateway's operator API, live from the bus's events.
# Build context: the repository root, e.g.
#   docker build -f docker/services/Dashboard.Dockerfile -t flmicroservices/dashboard .
# All service Dockerfiles share one pattern (docs/deployment.md); scripts/check-docker.sh checks that the project files
# copied before the restore are exactly what the host project's ProjectReference closure needs.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# 1. What `dotnet restore` reads: SDK pin, build settings and the project files.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY shared/Contracts/FlMicroservices.Contracts.csproj shared/Contracts/
COPY shared/Core/FlMicroservices.Core.csproj shared/Core/
COPY shared/Infrastructure/FlMicroservices.Infrastructure.csproj shared/Infrastructure/
COPY shared/Infrastructure.Stores/FlMicroservices.Infrastructure.Stores.csproj shared/Infrastructure.Stores/
COPY shared/ServiceDefaults/FlMicroservices.ServiceDefaults.csproj shared/ServiceDefaults/
COPY services/Dashboard/FlMicroservices.Dashboard/FlMicroservices.Dashboard.csproj services/Dashboard/FlMicroservices.Dashboard/
COPY services/Dashboard/FlMicroservices.Dashboard.Host/FlMicroservices.Dashboard.Host.csproj services/Dashboard/FlMicroservices.Dashboard.Host/
RUN dotnet restore services/Dashboard/FlMicroservices.Dashboard.Host/FlMicroservices.Dashboard.Host.csproj -r linux-x64

# 2. The sources of the same projects, then publish (framework-dependent) without restoring again.
COPY shared/Contracts/ shared/Contracts/
COPY shared/Core/ shared/Core/
COPY shared/Infrastructure/ shared/Infrastructure/
COPY shared/Infrastructure.Stores/ shared/Infrastructure.Stores/
COPY shared/ServiceDefaults/ shared/ServiceDefaults/
COPY services/Dashboard/ services/Dashboard/
RUN dotnet publish services/Dashboard/FlMicroservices.Dashboard.Host/FlMicroservices.Dashboard.Host.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
# GET /health/live and /health/ready; the API's URL and the dashboard's token come from Dashboard__* settings.
ENTRYPOINT ["dotnet", "FlMicroservices.Dashboard.Host.dll"]
