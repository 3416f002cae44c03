using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace FlMicroservices.Deployment.Tests;

/// <summary>Renders docker/k8s: with kustomize (`kubectl kustomize`) where it is installed, otherwise with the subset of kustomize the folder uses.</summary>
internal static class Kustomization
{
    /// <summary>The rendered multi-document YAML and which renderer made it.</summary>
    public static (string Yaml, string Renderer) Build(string directory, bool builtIn = false)
    {
        var kubectl = builtIn ? null : Kubectl;
        return kubectl is null ? (Render(directory), "the built-in kustomize subset") : (RunKustomize(kubectl, directory), "kubectl kustomize");
    }

    /// <summary>kubectl on PATH (it embeds kustomize), or null.</summary>
    public static string? Kubectl => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists);

    private static string RunKustomize(string kubectl, string directory)
    {
        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000)) throw new TimeoutException("kubectl kustomize did not finish within 60 s");
        if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl kustomize failed: {errors}");
        return output.Result;
    }

    /// <summary>The names of the Secrets and ConfigMaps the kustomization generates (kustomize adds a hash suffix to each).</summary>
    public static string[] GeneratedNames(string directory)
    {
        var root = LoadSingle(Path.Combine(directory, "kustomization.yaml"));
        return [.. Maps(root, "secretGenerator").Concat(Maps(root, "configMapGenerator")).Select(g => Scalar(g, "name")!)];
    }

    // The fields docker/k8s/kustomization.yaml uses: namespace, labels (metadata only), resources, configMapGenerator
    // (literals), secretGenerator (envs, files as key=path), images (newTag). Anything else fails, so a new field cannot go unrendered.
    private static readonly HashSet<string> Supported = ["apiVersion", "kind", "namespace", "labels", "resources", "configMapGenerator", "secretGenerator", "images"];

    private static string Render(string directory)
    {
        var root = LoadSingle(Path.Combine(directory, "kustomization.yaml"));
        foreach (var key in root.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!))
            if (!Supported.Contains(key)) throw new NotSupportedException($"kustomization field '{key}' is not rendered by the built-in subset: install kubectl");
        var ns = Scalar(root, "namespace");
        var labels = root.Children.TryGetValue("labels", out var l)
            ? ((YamlSequenceNode)l).Cast<YamlMappingNode>().SelectMany(m => ((YamlMappingNode)m["pairs"]).Children).ToList()
            : [];
        var documents = new List<YamlMappingNode>();
        foreach (var resource in Items(root, "resources"))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(Path.Combine(directory, resource))));
            documents.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }
        foreach (var generator in Maps(root, "configMapGenerator"))
            documents.Add(Generated("ConfigMap", Scalar(generator, "name")!, Items(generator, "literals").Select(Split), encode: false));
        foreach (var generator in Maps(root, "secretGenerator"))
            documents.Add(Generated("Secret", Scalar(generator, "name")!, Items(generator, "envs")
                .SelectMany(env => File.ReadAllLines(Path.Combine(directory, env)))
                .Where(line => line.Trim().Length > 0 && !line.TrimStart().StartsWith('#')).Select(Split)
                .Concat(Items(generator, "files").Select(Split).Select(f => (f.Item1, File.ReadAllText(Path.Combine(directory, f.Item2))))), encode: true));
        var tags = Maps(root, "images").ToDictionary(i => Scalar(i, "name")!, i => Scalar(i, "newTag"));
        foreach (var document in documents)
        {
            var metadata = (YamlMappingNode)document["metadata"];
            if (ns is not null && Scalar(document, "kind") != "Namespace") metadata.Children[new YamlScalarNode("namespace")] = new YamlScalarNode(ns);
            if (!metadata.Children.ContainsKey(new YamlScalarNode("labels"))) metadata.Add("labels", new YamlMappingNode());
            foreach (var (key, value) in labels) ((YamlMappingNode)metadata["labels"]).Children[key] = value;
            foreach (var container in Containers(document))
                if (Scalar(container, "image") is { } image && tags.TryGetValue(image, out var tag) && tag is not null)
                    container.Children[new YamlScalarNode("image")] = new YamlScalarNode($"{image}:{tag}");
        }
        var parts = documents.Select(document =>
        {
            var output = new StringWriter();
            new YamlStream(new YamlDocument(document)).Save(output, assignAnchors: false);
            return output.ToString().Replace("...", "", StringComparison.Ordinal).TrimEnd() + "\n";
        });
        return string.Join("---\n", parts);
    }

    private static YamlMappingNode Generated(string kind, string name, IEnumerable<(string Key, string Value)> data, bool encode)
    {
        var entries = new YamlMappingNode();
        foreach (var (key, value) in data)
            entries.Add(key, encode ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)) : value);
        var document = new YamlMappingNode { { "apiVersion", "v1" }, { "kind", kind }, { "metadata", new YamlMappingNode { { "name", name } } }, { "data", entries } };
        if (encode) document.Add("type", "Opaque");
        return document;
    }

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode document) =>
        document.Children.TryGetValue("spec", out var spec) && spec is YamlMappingNode s && s.Children.TryGetValue("template", out var t)
            && ((YamlMappingNode)t).Children.TryGetValue("spec", out var podSpec) && ((YamlMappingNode)podSpec).Children.TryGetValue("containers", out var c)
            ? ((YamlSequenceNode)c).Cast<YamlMappingNode>()
            : [];

    private static (string, string) Split(string line)
    {
        var at = line.IndexOf('=', StringComparison.Ordinal);
        return (line[..at].Trim(), line[(at + 1)..]);
    }

    private static YamlMappingNode LoadSingle(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? ((YamlScalarNode)value).Value : null;

    private static IEnumerable<string> Items(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? ((YamlSequenceNode)value).Cast<YamlScalarNode>().Select(s => s.Value!) : [];

    private static IEnumerable<YamlMappingNode> Maps(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? ((YamlSequenceNode)value).Cast<YamlMappingNode>() : [];
}
