# syntax=docker/dockerfile:1
# The edge for nodes outside the cluster (docs/edge.md): HTTPS only (HTTP/1.1 and HTTP/2) on 8443, with the certificate of
# Edge__CertificateFile / Edge__CertificateKeyFile. Build context: the repository root, e.g.
#   docker build -f docker/services/Edge.Dockerfile -t flmicroservices/edge .
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
COPY services/Edge/FlMicroservices.Edge/FlMicroservices.Edge.csproj services/Edge/FlMicroservices.Edge/
COPY services/Edge/FlMicroservices.Edge.Host/FlMicroservices.Edge.Host.csproj services/Edge/FlMicroservices.Edge.Host/
RUN dotnet restore services/Edge/FlMicroservices.Edge.Host/FlMicroservices.Edge.Host.csproj -r linux-x64

# 2. The sources of the same projects, then publish (framework-dependent) without restoring again.
COPY shared/Contracts/ shared/Contracts/
COPY shared/Core/ shared/Core/
COPY shared/Infrastructure/ shared/Infrastructure/
COPY shared/Infrastructure.Stores/ shared/Infrastructure.Stores/
COPY shared/ServiceDefaults/ shared/ServiceDefaults/
COPY services/Edge/ services/Edge/
RUN dotnet publish services/Edge/FlMicroservices.Edge.Host/FlMicroservices.Edge.Host.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
COPY --from=build /app ./
# HTTPS only: ASPNETCORE_URLS replaces the base image's plain HTTP port 8080; the edge refuses to start without a certificate.
ENV ASPNETCORE_URLS=https://+:8443
EXPOSE 8443
USER $APP_UID
# Nodes: /v1/* with their node tokens; operators: /api/edge/* with bearer tokens; GET /health/live and /health/ready (HTTPS).
ENTRYPOINT ["dotnet", "FlMicroservices.Edge.Host.dll"]
