using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.UpdateStream;
using k8s;
using k8s.Models;

namespace FlMicroservices.Deployment.Tests;

/// <summary>docker/k8s renders with kustomize, every object deserializes strictly into its Kubernetes API type, and the workloads keep the deployment contract.</summary>
public sealed class KubernetesManifestTests : IDisposable
{
    private readonly string _copy = Path.Combine(Path.GetTempPath(), "fl-k8s-" + Guid.NewGuid().ToString("N"));

    public KubernetesManifestTests()
    {
        CopyDirectory(Path.Combine(RepositoryRoot, "docker", "k8s"), _copy);
        // The operator's credentials.env (never committed): the example with every placeholder filled.
        File.WriteAllText(Path.Combine(_copy, "credentials.env"),
            File.ReadAllText(Path.Combine(_copy, "credentials.env.example")).Replace("CHANGE-ME", "s3cret-for-test", StringComparison.Ordinal));
        // RabbitMQ's certificate and CA as the operator makes them (docker/k8s/tls is never committed either).
        ComposeSecretsTests.Run("bash", "scripts/compose-secrets.sh", "--out", Path.Combine(_copy, "tls"));
        var (yaml, renderer) = Kustomization.Build(_copy);
        Renderer = renderer;
        Objects = KubernetesYaml.LoadAllFromString(yaml, null, strict: true);
    }

    private string Renderer { get; }
    private List<object> Objects { get; }

    public void Dispose()
    {
        if (Directory.Exists(_copy)) Directory.Delete(_copy, recursive: true);
    }

    private IEnumerable<(string Name, V1PodTemplateSpec Template)> Workloads =>
        Objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
            .Concat(Objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template)));

    private static readonly string[] Services = ["registry", "selector", "aggregation", "privacy-accounting", "model-registry", "reward", "gateway", "dashboard"];

    [Fact]
    public void Every_object_is_a_known_Kubernetes_type_with_only_known_fields_in_one_namespace()
    {
        Assert.True(Objects.Count >= 20, $"{Renderer} rendered only {Objects.Count} objects");
        Assert.DoesNotContain(Objects, o => o.GetType() == typeof(object));
        Assert.All(Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal("flmicroservices", o.Metadata.NamespaceProperty));
    }

    [Fact]
    public void A_misspelt_field_is_refused_by_the_validation()
    {
        // The check above can fail: strict deserialization refuses what the API server would reject as an unknown field.
        const string Typo = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec:\n  replica: 2\n  selector: { matchLabels: { a: b } }\n  template: { metadata: { labels: { a: b } } }\n";
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(Typo, null, strict: true));
        const string WrongType = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec:\n  replicas: many\n  selector: { matchLabels: { a: b } }\n  template: { metadata: { labels: { a: b } } }\n";
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(WrongType, null, strict: true));
    }

    [Fact]
    public void The_built_in_renderer_gives_the_objects_kustomize_gives()
    {
        // Where kubectl exists the tests above ran on its output; this keeps the fallback used elsewhere honest.
        if (Kustomization.Kubectl is null)
        {
            Assert.Equal("the built-in kustomize subset", Renderer);
            return;
        }
        var builtIn = KubernetesYaml.LoadAllFromString(Kustomization.Build(_copy, builtIn: true).Yaml, null, strict: true);
        static string Key(object o) => o is IKubernetesObject<V1ObjectMeta> k ? $"{k.Kind}/{k.Metadata.NamespaceProperty}/{k.Metadata.Name.Split('-')[0]}" : o.GetType().Name;
        Assert.Equal(Objects.Select(Key).Order(), builtIn.Select(Key).Order());
        // Same containers, up to the hash suffix kustomize gives generated names (fl-config-5fk2...).
        var generated = "(" + string.Join("|", GeneratorNames.OrderByDescending(n => n.Length).Select(System.Text.RegularExpressions.Regex.Escape)) + ")-[a-z0-9]{10}";
        string Containers(List<object> objects) => System.Text.RegularExpressions.Regex.Replace(
            KubernetesYaml.Serialize(objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "aggregation").Spec.Template.Spec.Containers),
            generated, "$1");
        Assert.Equal(Containers(Objects), Containers(builtIn));
    }

    [Fact]
    public void Every_service_has_live_and_ready_probes_on_its_http_port()
    {
        foreach (var name in Services)
        {
            var container = Assert.Single(Workloads.Single(w => w.Name == name).Template.Spec.Containers);
            Assert.Equal("/health/live", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("/health/ready", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("http", container.ReadinessProbe.HttpGet.Port.Value);
            Assert.Equal(8080, Assert.Single(container.Ports, p => p.Name == "http").ContainerPort);
            Assert.Contains(Objects.OfType<V1Service>(), s => s.Metadata.Name == name && s.Spec.Ports.Any(p => p.Port == 8080));
        }
    }

    [Fact]
    public void The_dashboard_is_one_cluster_internal_replica_where_people_sign_in_with_tokens_checked_with_the_apis_key()
    {
        var service = Assert.Single(Objects.OfType<V1Service>(), s => s.Metadata.Name == "dashboard");
        Assert.Equal("ClusterIP", service.Spec.Type);
        var deployment = Assert.Single(Objects.OfType<V1Deployment>(), d => d.Metadata.Name == "dashboard");
        Assert.Equal(1, deployment.Spec.Replicas);
        var env = Assert.Single(deployment.Spec.Template.Spec.Containers).Env.ToDictionary(e => e.Name);
        Assert.Equal("http://gateway:8080", env["Dashboard__ApiUrl"].Value);
        // No shared identity: no single-user mode and none of its token settings (the host would refuse them on 0.0.0.0 anyway).
        Assert.DoesNotContain(env.Keys, k => k is "Dashboard__SingleUser" or "Dashboard__DevelopmentIssuerRole" or "Dashboard__OperatorToken" or "Dashboard__OperatorTokenFile");
        Assert.Equal("OperatorApi__SigningKey", env["OperatorApi__SigningKey"].ValueFrom.SecretKeyRef.Key);
    }

    [Fact]
    public void The_edge_is_one_replica_serving_only_HTTPS_with_its_own_certificate_published_on_443_and_probed_over_HTTPS()
    {
        var service = Assert.Single(Objects.OfType<V1Service>(), s => s.Metadata.Name == "edge");
        Assert.Equal("LoadBalancer", service.Spec.Type);
        var published = Assert.Single(service.Spec.Ports);
        Assert.Equal((443, "https"), (published.Port, published.TargetPort.Value));
        var deployment = Assert.Single(Objects.OfType<V1Deployment>(), d => d.Metadata.Name == "edge");
        Assert.Equal(1, deployment.Spec.Replicas); // its enrolments are cached by the process
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.Equal("flmicroservices-edge", container.Image.Split(':')[0]);
        var port = Assert.Single(container.Ports);
        Assert.Equal(("https", 8443), (port.Name, port.ContainerPort));
        foreach (var probe in new[] { container.StartupProbe, container.LivenessProbe, container.ReadinessProbe })
            Assert.Equal(("HTTPS", "https"), (probe.HttpGet.Scheme, probe.HttpGet.Port.Value));
        Assert.Equal("/health/ready", container.ReadinessProbe.HttpGet.Path);

        // Its certificate and key: files of the Secret edge-tls (from tls/edge.pem and tls/edge.key) where Edge__Certificate* point.
        var env = container.Env.ToDictionary(e => e.Name);
        var mount = Assert.Single(container.VolumeMounts, m => env["Edge__CertificateFile"].Value.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var secretName = Assert.Single(deployment.Spec.Template.Spec.Volumes, v => v.Name == mount.Name).Secret.SecretName;
        var secret = Assert.Single(Objects.OfType<V1Secret>(), s => s.Metadata.Name == secretName);
        Assert.StartsWith("edge-tls", secretName, StringComparison.Ordinal);
        Assert.Equal($"{mount.MountPath}/tls.crt", env["Edge__CertificateFile"].Value);
        Assert.Equal($"{mount.MountPath}/tls.key", env["Edge__CertificateKeyFile"].Value);
        Assert.Contains("BEGIN CERTIFICATE", System.Text.Encoding.UTF8.GetString(secret.Data["tls.crt"]));
        Assert.Contains("PRIVATE KEY", System.Text.Encoding.UTF8.GetString(secret.Data["tls.key"]));
        Assert.Equal("http://model-registry:8080", env["Edge__ModelRegistryUrl"].Value);
        Assert.Equal("Kafka", env["UpdateStream__Transport"].Value);
        Assert.Equal("MongoDb", env["Storage__State"].Value);
    }

    [Fact]
    public void Every_container_has_resource_requests_and_limits()
    {
        foreach (var (name, template) in Workloads)
            foreach (var container in template.Spec.Containers)
            {
                Assert.True(container.Resources?.Requests?.ContainsKey("cpu") == true && container.Resources.Requests.ContainsKey("memory"), $"{name}: no requests");
                Assert.True(container.Resources.Limits?.ContainsKey("cpu") == true && container.Resources.Limits.ContainsKey("memory"), $"{name}: no limits");
                Assert.True(container.Resources.Limits["memory"].ToInt64() >= container.Resources.Requests["memory"].ToInt64(), $"{name}: memory limit below request");
            }
    }

    [Fact]
    public void Credentials_come_only_from_the_generated_Secret_and_never_guest()
    {
        var secret = Assert.Single(Objects.OfType<V1Secret>(), s => s.Metadata.Name.StartsWith("fl-credentials", StringComparison.Ordinal));
        var config = Assert.Single(Objects.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("fl-config", StringComparison.Ordinal));
        Assert.DoesNotContain(config.Data, e => e.Value.Contains('@') || e.Key.Contains("PASS", StringComparison.OrdinalIgnoreCase));
        foreach (var (name, template) in Workloads)
            foreach (var env in template.Spec.Containers.SelectMany(c => c.Env ?? []))
            {
                var sensitive = env.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && env.Name != "ConnectionStrings__kafka"
                    || env.Name.Contains("PASS", StringComparison.Ordinal)
                    || env.Name.Contains("USER", StringComparison.Ordinal) && env.Name != "KAFKA_SUPER_USERS"; // that one names a principal, not a credential
                if (!sensitive) continue;
                Assert.True(env.Value is null, $"{name}: {env.Name} is written in the manifest");
                Assert.Equal(secret.Metadata.Name, env.ValueFrom.SecretKeyRef.Name);
                Assert.True(secret.Data.ContainsKey(env.ValueFrom.SecretKeyRef.Key), $"{name}: the Secret has no key {env.ValueFrom.SecretKeyRef.Key}");
            }
        Assert.DoesNotContain(secret.Data.Values, v => System.Text.Encoding.UTF8.GetString(v).Contains("guest", StringComparison.Ordinal));
        Assert.DoesNotContain("guest", File.ReadAllText(Path.Combine(RepositoryRoot, "docker", "k8s", "credentials.env.example")));
    }

    [Fact]
    public void RabbitMQ_offers_only_TLS_and_every_process_on_the_bus_trusts_the_deployment_CA()
    {
        var tls = Assert.Single(Objects.OfType<V1Secret>(), s => s.Metadata.Name.StartsWith("rabbitmq-tls", StringComparison.Ordinal));
        Assert.Equal(["ca.pem", "tls.crt", "tls.key"], tls.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("BEGIN CERTIFICATE", System.Text.Encoding.UTF8.GetString(tls.Data["tls.crt"]));
        var service = Assert.Single(Objects.OfType<V1Service>(), s => s.Metadata.Name == "rabbitmq");
        Assert.DoesNotContain(service.Spec.Ports, p => p.Port == 5672);
        Assert.Contains(service.Spec.Ports, p => p.Port == 5671);
        var brokerConfig = Assert.Single(Objects.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("rabbitmq-conf", StringComparison.Ordinal));
        Assert.Contains("listeners.tcp = none", brokerConfig.Data["20-tls.conf"]);
        var config = Assert.Single(Objects.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("fl-config", StringComparison.Ordinal));
        Assert.Equal("/etc/fl/tls/ca.pem", config.Data["Messaging__TlsCaCertificate"]);
        Assert.StartsWith("amqps://", config.Data["ConnectionStrings__rabbitmq"]);
        var onTheBus = Workloads.Where(w => w.Template.Spec.Containers.Single().EnvFrom?.Any(e => e.ConfigMapRef?.Name == config.Metadata.Name) == true).ToArray();
        Assert.True(onTheBus.Length >= 8, $"only {onTheBus.Length} workloads read fl-config");
        foreach (var (name, template) in onTheBus)
        {
            var volume = Assert.Single(template.Spec.Volumes, v => v.Name == "rabbitmq-ca");
            Assert.StartsWith("rabbitmq-tls", volume.Secret.SecretName);
            Assert.Contains(template.Spec.Containers.Single().VolumeMounts, m => m.Name == "rabbitmq-ca" && m.MountPath == "/etc/fl/tls");
        }
    }

    [Fact]
    public void Every_process_on_the_bus_connects_as_its_own_broker_user_and_mounts_only_its_own_password()
    {
        var config = Assert.Single(Objects.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("fl-config", StringComparison.Ordinal));
        var broker = new Uri(config.Data["ConnectionStrings__rabbitmq"]);
        Assert.Equal(("amqps", "rabbitmq", 5671, ""), (broker.Scheme, broker.Host, broker.Port, broker.UserInfo));
        Assert.Equal("/run/fl-broker", config.Data["Messaging__AccountsDirectory"]);
        var credentials = Assert.Single(Objects.OfType<V1Secret>(), s => s.Metadata.Name.StartsWith("fl-credentials", StringComparison.Ordinal));
        Assert.DoesNotContain(credentials.Data.Keys, k => k.Contains("rabbitmq", StringComparison.OrdinalIgnoreCase));

        // One Secret per account, holding that account's password only.
        foreach (var account in BrokerAccounts.All)
        {
            var secret = Assert.Single(Objects.OfType<V1Secret>(), s => Generated(s.Metadata.Name) == "broker-" + account.Name);
            Assert.Equal([account.Name + ".password"], secret.Data.Keys);
            Assert.Equal(48, secret.Data[account.Name + ".password"].Length);
        }

        var onTheBus = Workloads.Where(w => w.Template.Spec.Containers.Single().EnvFrom?.Any(e => e.ConfigMapRef?.Name == config.Metadata.Name) == true).ToArray();
        Assert.Equal(["aggregation", "dashboard", "model-registry", "node", "privacy-accounting", "registry", "reward", "selector"],
            onTheBus.Select(w => w.Name).Where(n => n != "edge").Order(StringComparer.Ordinal));
        foreach (var (name, template) in onTheBus)
        {
            var account = BrokerAccounts.Named(name);
            var container = template.Spec.Containers.Single();
            Assert.DoesNotContain(container.Env ?? [], e => e.Name == "ConnectionStrings__rabbitmq");
            Assert.Contains(container.VolumeMounts, m => m.Name == "broker-account" && m.MountPath == "/run/fl-broker" && m.ReadOnlyProperty == true);
            var sources = Assert.Single(template.Spec.Volumes, v => v.Name == "broker-account").Projected.Sources.Select(s => Generated(s.Secret.Name));
            // An issuer of signed commands gets its key pair; the processes that act on them the issuers' public halves.
            string[] keys = [.. account.Publishes.Any(SignedCommands.IsSigned) ? [name + "-command-key"] : Array.Empty<string>(),
                .. Checks.GetValueOrDefault(name, []).Select(issuer => issuer + "-command-key-pub")];
            Assert.Equal(["broker-" + name, .. keys], sources);
            // No other account's password reaches the pod by any route.
            var secrets = template.Spec.Volumes.SelectMany(v => (v.Projected?.Sources.Select(s => s.Secret?.Name) ?? []).Append(v.Secret?.SecretName))
                .Concat(container.Env?.Select(e => e.ValueFrom?.SecretKeyRef?.Name) ?? []).Concat(container.EnvFrom?.Select(e => e.SecretRef?.Name) ?? [])
                .OfType<string>().Select(Generated);
            Assert.Equal(["broker-" + name], secrets.Where(s => s.StartsWith("broker-", StringComparison.Ordinal)));
            // ... nor another issuer's private key.
            Assert.All(secrets.Where(s => s.EndsWith("-command-key", StringComparison.Ordinal)), s => Assert.Equal(name + "-command-key", s));
        }
        foreach (var issuer in SignedCommands.Types.Select(t => SignedCommands.IssuerOf(t).Name))
        {
            var publicKey = Objects.OfType<V1Secret>().Single(s => Generated(s.Metadata.Name) == issuer + "-command-key-pub");
            Assert.Equal([issuer + ".command-key.pub"], publicKey.Data.Keys);
            Assert.Contains("BEGIN PUBLIC KEY", System.Text.Encoding.UTF8.GetString(publicKey.Data[issuer + ".command-key.pub"]));
        }
    }

    // The issuers whose signed commands each process checks (docs/security.md, "Signed commands"), as compose mounts them too.
    private static readonly Dictionary<string, string[]> Checks = new()
    {
        ["selector"] = ["registry", "model-registry", "privacy-accounting"], ["aggregation"] = ["selector", "registry"], ["node"] = ["selector", "aggregation"],
        ["registry"] = ["model-registry"], ["model-registry"] = ["registry", "aggregation"], ["privacy-accounting"] = ["registry", "model-registry"],
        ["reward"] = ["model-registry"], ["edge"] = ["selector", "aggregation"], ["dashboard"] = ["selector", "registry", "model-registry"],
    };

    [Fact]
    public void RabbitMQ_imports_every_account_with_its_permissions_at_start_and_has_no_default_user()
    {
        var rabbit = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "rabbitmq").Spec.Template.Spec;
        Assert.Null(rabbit.Containers.Single().Env);
        var conf = Objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("rabbitmq-conf", StringComparison.Ordinal)).Data["20-tls.conf"];
        Assert.Contains("load_definitions = /etc/rabbitmq/definitions/definitions.json", conf);
        Assert.Equal("rabbitmq-definitions", Generated(Assert.Single(rabbit.Volumes, v => v.Name == "definitions").Secret.SecretName));
        Assert.Contains(rabbit.Containers.Single().VolumeMounts, m => m.Name == "definitions" && m.MountPath == "/etc/rabbitmq/definitions");

        var secret = Objects.OfType<V1Secret>().Single(s => Generated(s.Metadata.Name) == "rabbitmq-definitions");
        using var definitions = System.Text.Json.JsonDocument.Parse(secret.Data["definitions.json"]);
        var users = definitions.RootElement.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("name").GetString()!);
        var permissions = definitions.RootElement.GetProperty("permissions").EnumerateArray().ToDictionary(p => p.GetProperty("user").GetString()!);
        Assert.Equal(BrokerAccounts.All.Select(a => a.User).Append("fl").Order(StringComparer.Ordinal), users.Keys.Order(StringComparer.Ordinal));
        Assert.All(users.Values, u => Assert.Equal("rabbit_password_hashing_sha256", u.GetProperty("hashing_algorithm").GetString()));
        Assert.Equal("administrator", Assert.Single(users["fl"].GetProperty("tags").EnumerateArray()).GetString());
        foreach (var account in BrokerAccounts.All)
        {
            Assert.Empty(users[account.User].GetProperty("tags").EnumerateArray());
            var (configure, write, read) = account.Permissions();
            var granted = permissions[account.User];
            Assert.Equal((configure, write, read), (granted.GetProperty("configure").GetString(), granted.GetProperty("write").GetString(), granted.GetProperty("read").GetString()));
        }
    }

    [Fact]
    public void MongoDB_offers_only_TLS_with_authentication_and_every_process_that_uses_it_trusts_the_deployment_CA()
    {
        var tls = Objects.OfType<V1Secret>().Single(s => Generated(s.Metadata.Name) == "mongo-tls");
        Assert.Equal(["ca.pem", "mongo-tls.pem"], tls.Data.Keys.Order(StringComparer.Ordinal));
        var pem = System.Text.Encoding.UTF8.GetString(tls.Data["mongo-tls.pem"]);
        Assert.True(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem, pem).MatchesHostname("mongo"), "mongo-tls.pem is not for the host mongo");
        var mongo = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "mongo").Spec.Template.Spec;
        var container = mongo.Containers.Single();
        var command = string.Join(" ", container.Args);
        Assert.Contains("--tlsMode requireTLS", command);
        Assert.Contains("--tlsCertificateKeyFile /etc/mongo/tls/mongo-tls.pem", command);
        Assert.Equal("mongo-tls", Generated(Assert.Single(mongo.Volumes, v => v.Name == "tls").Secret.SecretName));
        Assert.Contains(container.VolumeMounts, m => m.Name == "tls" && m.MountPath == "/etc/mongo/tls");
        Assert.Contains("--tls --tlsCAFile /etc/mongo/tls/ca.pem", string.Join(" ", container.ReadinessProbe.Exec.Command));
        // Authentication: the image creates the root user from these and then runs mongod with --auth.
        Assert.Equal(["MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_ROOT_USERNAME"], container.Env.Select(e => e.ValueFrom.SecretKeyRef.Key).Order(StringComparer.Ordinal));
        Assert.Contains("ConnectionStrings__mongodb=mongodb://fl:CHANGE-ME@mongo:27017/fl?authSource=admin&tls=true",
            File.ReadAllLines(Path.Combine(RepositoryRoot, "docker", "k8s", "credentials.env.example")));

        var users = Workloads.Where(w => w.Template.Spec.Containers.Any(c => (c.Env ?? []).Any(e => e.Name == "ConnectionStrings__mongodb"))).ToArray();
        Assert.Equal(["aggregation", "edge", "gateway", "model-registry", "registry", "reward", "selector"], users.Select(u => u.Name).Order(StringComparer.Ordinal));
        foreach (var (name, template) in users)
        {
            var env = template.Spec.Containers.Single().Env;
            Assert.True(env.Any(e => e.Name == "Mongo__TlsCaCertificate" && e.Value == "/etc/fl/tls/ca.pem"), $"{name} does not trust the CA for MongoDB");
            var mount = Assert.Single(template.Spec.Containers.Single().VolumeMounts, m => m.MountPath == "/etc/fl/tls");
            var secret = Assert.Single(template.Spec.Volumes, v => v.Name == mount.Name).Secret;
            Assert.Equal("ca.pem", Assert.Single(secret.Items).Key);
            Assert.Equal(tls.Data["ca.pem"], Objects.OfType<V1Secret>().Single(s => s.Metadata.Name == secret.SecretName).Data["ca.pem"]);
        }
    }

    [Fact]
    public void Kafka_offers_only_SASL_SSL_and_each_process_logs_in_as_its_own_Kafka_user()
    {
        var kafka = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "kafka").Spec.Template.Spec;
        var container = kafka.Containers.Single();
        var env = container.Env.ToDictionary(e => e.Name, e => e.Value);
        var protocols = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].Split(',').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1]);
        foreach (var listener in env["KAFKA_LISTENERS"].Split(','))
        {
            var name = listener[..listener.IndexOf("://", StringComparison.Ordinal)];
            Assert.True(protocols[name] == "SASL_SSL" || listener.Contains("://localhost:", StringComparison.Ordinal), $"{listener} is {protocols[name]}");
        }
        Assert.Equal("SASL_SSL", protocols["INTERNAL"]);
        Assert.Equal("-Djava.security.auth.login.config=/run/secrets/kafka-jaas.conf", env["KAFKA_OPTS"]);
        Assert.Equal("/run/secrets/kafka-tls.pem", env["KAFKA_SSL_KEYSTORE_LOCATION"]);
        Assert.Equal(["kafka-sasl", "kafka-tls"], Assert.Single(kafka.Volumes, v => v.Name == "secrets").Projected.Sources.Select(s => Generated(s.Secret.Name)).Order(StringComparer.Ordinal));
        Assert.Contains(container.VolumeMounts, m => m.Name == "secrets" && m.MountPath == "/run/secrets");
        Assert.Contains("--command-config /run/secrets/kafka-client.properties", string.Join(" ", container.ReadinessProbe.Exec.Command));
        var tls = Objects.OfType<V1Secret>().Single(s => Generated(s.Metadata.Name) == "kafka-tls");
        var pem = System.Text.Encoding.UTF8.GetString(tls.Data["kafka-tls.pem"]);
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem, pem);
        Assert.True(certificate.MatchesHostname("kafka-0.kafka"), "Kafka's certificate is not for kafka-0.kafka, the address it advertises");
        var jaas = System.Text.Encoding.UTF8.GetString(Objects.OfType<V1Secret>().Single(s => Generated(s.Metadata.Name) == "kafka-sasl").Data["kafka-jaas.conf"]);

        var clients = Workloads.Where(w => w.Template.Spec.Containers.Single().Env?.Any(e => e.Name == "UpdateStream__Transport" && e.Value == "Kafka") == true).ToArray();
        Assert.Equal(["aggregation", "edge", "node"], clients.Select(c => c.Name).Order(StringComparer.Ordinal));
        foreach (var (name, template) in clients)
        {
            var settings = template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);
            Assert.Equal("SaslSsl", settings["UpdateStream__Security__Protocol"].Value);
            Assert.Equal("Plain", settings["UpdateStream__Security__SaslMechanism"].Value);
            Assert.Equal("/etc/fl/tls/ca.pem", settings["UpdateStream__Security__SslCaLocation"].Value);
            Assert.Equal("fl-" + name, settings["UpdateStream__Security__SaslUsername"].Value);
            var reference = settings["UpdateStream__Security__SaslPassword"].ValueFrom.SecretKeyRef;
            Assert.Equal("kafka-" + name, Generated(reference.Name));
            var password = System.Text.Encoding.UTF8.GetString(Objects.OfType<V1Secret>().Single(s => s.Metadata.Name == reference.Name).Data[reference.Key]);
            Assert.Contains($"user_fl-{name}=\"{password}\"", jaas);
            Assert.DoesNotContain(template.Spec.Containers.Single().Env, e => e.ValueFrom?.SecretKeyRef?.Name is { } other && other.StartsWith("kafka-", StringComparison.Ordinal) && other != reference.Name);
        }
    }

    [Fact]
    public void Kafka_denies_what_no_ACL_allows_and_fl_kafka_is_the_only_super_user()
    {
        var env = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "kafka").Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name, e => e.Value);

        Assert.Equal("org.apache.kafka.metadata.authorizer.StandardAuthorizer", env["KAFKA_AUTHORIZER_CLASS_NAME"]);
        Assert.Equal("false", env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"]);
        Assert.Equal("User:fl-kafka", env["KAFKA_SUPER_USERS"]);
        Assert.Equal("false", env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]);
        // The broker reaches its controller as fl-kafka (SASL), not as an anonymous principal that would need super-user rights.
        var protocols = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].Split(',').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1]);
        Assert.StartsWith("SASL_", protocols[env["KAFKA_CONTROLLER_LISTENER_NAMES"]], StringComparison.Ordinal);
        Assert.Equal("PLAIN", env["KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL"]);
    }

    [Fact]
    public void A_Job_gives_each_Kafka_user_exactly_its_least_privilege_ACLs_on_the_names_the_code_uses()
    {
        var job = Assert.Single(Objects.OfType<V1Job>(), j => j.Metadata.Name == "kafka-acls");
        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        var broker = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "kafka").Spec.Template.Spec.Containers.Single();
        Assert.Equal(broker.Image, container.Image); // its kafka-acls.sh and kafka-topics.sh
        var script = string.Join("\n", container.Command.Concat(container.Args ?? []));
        Assert.Contains("--command-config /run/secrets/kafka-client.properties", script); // as fl-kafka
        // It mounts fl-kafka's client settings and the CA, never the broker's user table.
        var sources = Assert.Single(job.Spec.Template.Spec.Volumes).Projected.Sources;
        Assert.Equal(["ca.pem", "kafka-client.properties"], sources.SelectMany(s => s.Secret.Items.Select(i => i.Key)).Order(StringComparer.Ordinal));

        var topic = new UpdateStreamOptions().Topic;
        Assert.Matches($@"kafka-topics\.sh .*--create .*--topic {System.Text.RegularExpressions.Regex.Escape(topic)} --partitions {new UpdateStreamOptions().Partitions} ", script);
        var write = new[] { ("Topic", "literal", topic, "Write"), ("Topic", "literal", topic, "Describe"),
            ("Cluster", "literal", "kafka-cluster", "IdempotentWrite") }; // KafkaUpdateStream's producer is idempotent
        var expected = new Dictionary<string, (string, string, string, string)[]>
        {
            ["User:fl-node"] = write,
            ["User:fl-edge"] = write,
            ["User:fl-aggregation"] =
            [
                ("Topic", "literal", topic, "Read"), ("Topic", "literal", topic, "Describe"),
                ("Group", "prefixed", SliceIngestionService.ConsumerGroup, "Read"),
                ("Group", "prefixed", $"{topic}-reader-", "Read"), // KafkaUpdateStream.ReadAsync's one-off groups
            ],
        };
        var acls = AclsOf(script);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), acls.Keys.Order(StringComparer.Ordinal));
        foreach (var (principal, set) in expected) Assert.Equal(set.Order(), acls[principal].Order());
        // Every group the aggregation's shards use falls under its prefix.
        var shards = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "aggregation").Spec.Replicas!.Value;
        foreach (var shard in Enumerable.Range(0, shards))
            Assert.StartsWith(SliceIngestionService.ConsumerGroup, new AggregationOptions { ShardCount = shards, ShardIndex = shard }.ConsumerGroup, StringComparison.Ordinal);

        // Each Kafka user's workload only checks that the topic is there (it may not create it).
        foreach (var name in (string[])["aggregation", "edge", "node"])
            Assert.Equal("Verify", Workloads.Single(w => w.Name == name).Template.Spec.Containers.Single().Env.Single(e => e.Name == "UpdateStream__Provisioning").Value);
    }

    // The ACLs of the script's `acl ...` lines (kafka-acls.sh --add), by principal: (resource type, pattern type, name, operation).
    private static Dictionary<string, List<(string, string, string, string)>> AclsOf(string script)
    {
        var acls = new Dictionary<string, List<(string, string, string, string)>>(StringComparer.Ordinal);
        foreach (var line in script.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("acl ", StringComparison.Ordinal)))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string? principal = null, resource = null, name = null;
            var pattern = "literal";
            var operations = new List<string>();
            for (var i = 1; i < words.Length; i++)
            {
                switch (words[i])
                {
                    case "--cluster": (resource, name) = ("Cluster", "kafka-cluster"); break;
                    case "--allow-principal": principal = words[++i]; break;
                    case "--operation": operations.Add(words[++i]); break;
                    case "--topic": (resource, name) = ("Topic", words[++i]); break;
                    case "--group": (resource, name) = ("Group", words[++i]); break;
                    case "--resource-pattern-type": pattern = words[++i]; break;
                    default: Assert.Fail($"ACL line '{line}': {words[i]} is not an option this check knows (hosts, deny rules and other resources are not used)"); break;
                }
            }
            Assert.True(principal is not null && resource is not null && operations.Count > 0, $"ACL line '{line}' names no principal, resource or operation");
            if (!acls.TryGetValue(principal!, out var list)) acls[principal!] = list = [];
            list.AddRange(operations.Select(op => (resource!, pattern, name!, op)));
        }
        return acls;
    }

    // A generated object's name without the hash suffix kustomize adds (broker-node-8m7md4bbhc is broker-node).
    private string Generated(string name) =>
        GeneratorNames.Where(g => name == g || (name.StartsWith(g + "-", StringComparison.Ordinal) && name.Length == g.Length + 11))
            .OrderByDescending(g => g.Length).FirstOrDefault() ?? name;

    private string[] GeneratorNames => Kustomization.GeneratedNames(_copy);

    [Fact]
    public void Redis_offers_only_TLS_with_a_password_and_every_process_that_uses_it_trusts_the_deployment_CA()
    {
        var tls = Assert.Single(Objects.OfType<V1Secret>(), s => s.Metadata.Name.StartsWith("redis-tls", StringComparison.Ordinal));
        Assert.Equal(["ca.pem", "tls.crt", "tls.key"], tls.Data.Keys.Order(StringComparer.Ordinal));
        var redis = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "redis").Spec.Template.Spec;
        var command = string.Join(" ", redis.Containers.Single().Args);
        Assert.Contains("--port 0 --tls-port 6379", command);
        Assert.Contains("--requirepass", command);
        Assert.Contains("--tls-cert-file /etc/redis/tls/tls.crt", command);
        Assert.StartsWith("redis-tls", Assert.Single(redis.Volumes, v => v.Name == "tls").Secret.SecretName);
        Assert.Contains("--tls --cacert", string.Join(" ", redis.Containers.Single().ReadinessProbe.Exec.Command));
        Assert.Contains("ConnectionStrings__redis=redis:6379,ssl=true,password=", File.ReadAllText(Path.Combine(RepositoryRoot, "docker", "k8s", "credentials.env.example")));
        var users = Workloads.Where(w => w.Template.Spec.Containers.Any(c => (c.Env ?? []).Any(e => e.Name == "ConnectionStrings__redis"))).ToArray();
        Assert.Equal(["registry", "selector"], users.Select(u => u.Name).Order(StringComparer.Ordinal));
        foreach (var (name, template) in users)
        {
            var env = template.Spec.Containers.Single().Env;
            Assert.True(env.Any(e => e.Name == "Redis__TlsCaCertificate" && e.Value == "/etc/fl/tls/ca.pem"), $"{name} does not trust the CA for Redis");
            Assert.Contains(template.Spec.Containers.Single().VolumeMounts, m => m.Name == "rabbitmq-ca" && m.MountPath == "/etc/fl/tls");
        }
    }

    [Fact]
    public void Aggregation_shards_are_a_StatefulSet_whose_pod_ordinal_is_the_shard_index()
    {
        var aggregation = Assert.Single(Objects.OfType<V1StatefulSet>(), s => s.Metadata.Name == "aggregation");
        var env = Assert.Single(aggregation.Spec.Template.Spec.Containers).Env;
        Assert.Equal("metadata.labels['apps.kubernetes.io/pod-index']", env.Single(e => e.Name == "Aggregation__ShardIndex").ValueFrom.FieldRef.FieldPath);
        Assert.Equal(aggregation.Spec.Replicas.ToString(), env.Single(e => e.Name == "Aggregation__ShardCount").Value);
        Assert.True(aggregation.Spec.Replicas > 1);
        Assert.Equal("/data/checkpoints", env.Single(e => e.Name == "Aggregation__CheckpointDirectory").Value);
    }

    [Fact]
    public void Nodes_are_a_Deployment_and_state_lives_on_persistent_volumes()
    {
        var node = Assert.Single(Objects.OfType<V1Deployment>(), d => d.Metadata.Name == "node");
        Assert.Equal("$(POD_NAME)", Assert.Single(Assert.Single(node.Spec.Template.Spec.Containers).Env, e => e.Name == "Node__Id").Value);
        foreach (var name in (string[])["aggregation", "privacy-accounting", "rabbitmq", "redis", "kafka", "mongo"])
        {
            var set = Assert.Single(Objects.OfType<V1StatefulSet>(), s => s.Metadata.Name == name);
            var claim = Assert.Single(set.Spec.VolumeClaimTemplates);
            Assert.Contains(set.Spec.Template.Spec.Containers.SelectMany(c => c.VolumeMounts), m => m.Name == claim.Metadata.Name);
            Assert.True(claim.Spec.Resources.Requests["storage"].ToInt64() > 0);
        }
        Assert.Equal("/data/ledger", Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "privacy-accounting")
            .Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "PrivacyAccounting__LedgerDirectory").Value);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            if (Path.GetFileName(file) != "credentials.env") File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    private static string RepositoryRoot => Repository.Root;
}
