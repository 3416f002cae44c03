# syntax=docker/dockerfile:1
# A federated-learning node: the `fl` command line (tools/Fl.Cli) running `fl node`. Build context: the repository root, e.g.
#   docker build -f docker/node.Dockerfile -t flmicroservices/node .
#   docker run --rm flmicroservices/node node --clients 10 --dataset synthetic --node-id node-1   (plus the broker settings)
# Same pattern as docker/services/*.Dockerfile; the node has no HTTP endpoint, so it runs on the plain .NET runtime image.
# scripts/check-docker.sh checks the copied project files against the ProjectReference closure of tools/Fl.Cli, and that
# nothing in that closure needs the ASP.NET Core shared framework (which this runtime image lacks).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# 1. What `dotnet restore` reads: SDK pin, build settings and the project files (the CLI references the logic libraries
#    of every service through shared/Simulation).
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY shared/Contracts/FlMicroservices.Contracts.csproj shared/Contracts/
COPY shared/Core/FlMicroservices.Core.csproj shared/Core/
COPY shared/Infrastructure/FlMicroservices.Infrastructure.csproj shared/Infrastructure/
COPY shared/Infrastructure.Stores/FlMicroservices.Infrastructure.Stores.csproj shared/Infrastructure.Stores/
COPY shared/Simulation/FlMicroservices.Simulation.csproj shared/Simulation/
COPY shared/Training/FlMicroservices.Training.csproj shared/Training/
COPY services/Aggregation/FlMicroservices.Aggregation/FlMicroservices.Aggregation.csproj services/Aggregation/FlMicroservices.Aggregation/
COPY services/ModelRegistry/FlMicroservices.ModelRegistry/FlMicroservices.ModelRegistry.csproj services/ModelRegistry/FlMicroservices.ModelRegistry/
COPY services/Node/FlMicroservices.Node/FlMicroservices.Node.csproj services/Node/FlMicroservices.Node/
COPY services/PrivacyAccounting/FlMicroservices.PrivacyAccounting/FlMicroservices.PrivacyAccounting.csproj services/PrivacyAccounting/FlMicroservices.PrivacyAccounting/
COPY services/Registry/FlMicroservices.Registry/FlMicroservices.Registry.csproj services/Registry/FlMicroservices.Registry/
COPY services/Reward/FlMicroservices.Reward/FlMicroservices.Reward.csproj services/Reward/FlMicroservices.Reward/
COPY services/Selector/FlMicroservices.Selector/FlMicroservices.Selector.csproj services/Selector/FlMicroservices.Selector/
COPY tools/KafkaMock/KafkaMock.csproj tools/KafkaMock/
COPY tools/Fl.Cli/Fl.Cli.csproj tools/Fl.Cli/
RUN dotnet restore tools/Fl.Cli/Fl.Cli.csproj -r linux-x64

# 2. The sources of the same projects (only the logic library of each service, not its host), then publish.
COPY shared/Contracts/ shared/Contracts/
COPY shared/Core/ shared/Core/
COPY shared/Infrastructure/ shared/Infrastructure/
COPY shared/Infrastructure.Stores/ shared/Infrastructure.Stores/
COPY shared/Simulation/ shared/Simulation/
COPY shared/Training/ shared/Training/
COPY services/Aggregation/FlMicroservices.Aggregation/ services/Aggregation/FlMicroservices.Aggregation/
COPY services/ModelRegistry/FlMicroservices.ModelRegistry/ services/ModelRegistry/FlMicroservices.ModelRegistry/
COPY services/Node/ services/Node/
COPY services/PrivacyAccounting/FlMicroservices.PrivacyAccounting/ services/PrivacyAccounting/FlMicroservices.PrivacyAccounting/
COPY services/Registry/FlMicroservices.Registry/ services/Registry/FlMicroservices.Registry/
COPY services/Reward/FlMicroservices.Reward/ services/Reward/FlMicroservices.Reward/
COPY services/Selector/FlMicroservices.Selector/ services/Selector/FlMicroservices.Selector/
COPY tools/KafkaMock/ tools/KafkaMock/
COPY tools/Fl.Cli/ tools/Fl.Cli/
RUN dotnet publish tools/Fl.Cli/Fl.Cli.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore

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
ENTRYPOINT ["dotnet", "fl.dll"]
CMD ["node"]
