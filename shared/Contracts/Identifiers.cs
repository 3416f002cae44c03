using System.Text.RegularExpressions;

namespace FlMicroservices.Contracts;

/// <summary>What task and client ids may look like: they name folders, topics and keys, so they keep to a safe alphabet.</summary>
public static partial class Identifiers
{
    public const string Rule = "1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit";

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="what"/> when <paramref name="id"/> is not valid.</summary>
    public static string Check(string? id, string what)
    {
        if (!IsValid(id))
            throw new ArgumentException($"{what} '{id}' is not valid: {Rule}.");
        return id!;
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex Pattern();
}
