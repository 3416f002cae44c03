using FlMicroservices.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>RFC 9457 problem documents of the operator APIs; the "field" extension names the input at fault.</summary>
public static class ApiProblems
{
    public const int MaxPageSize = 500;

    /// <param name="status">The HTTP status.</param>
    /// <param name="field">The input at fault (a query or route parameter, or a path in the body such as spec.training.learningRate).</param>
    /// <param name="detail">What is wrong with it.</param>
    /// <param name="problems">Every problem found, when there are several (the "problems" extension).</param>
    public static ProblemHttpResult Problem(int status, string field, string detail, IReadOnlyList<string>? problems = null)
    {
        var extensions = new Dictionary<string, object?> { ["field"] = field };
        if (problems is not null) extensions["problems"] = problems;
        return TypedResults.Problem(detail, statusCode: status,
            title: status == StatusCodes.Status400BadRequest ? "Invalid request" : ReasonPhrases.GetReasonPhrase(status), extensions: extensions);
    }

    /// <summary>A 400 naming <paramref name="field"/> when the id breaks the identifier rule; null when it is valid.</summary>
    public static ProblemHttpResult? BadId(string field, string id) =>
        Identifiers.IsValid(id) ? null : Problem(StatusCodes.Status400BadRequest, field, $"{field} '{id}' is not valid: {Identifiers.Rule}");

    /// <summary>A 400 naming offset or limit when the page is out of range; null when it is valid.</summary>
    public static ProblemHttpResult? BadPage(int offset, int limit, int maxLimit = MaxPageSize)
    {
        if (offset < 0) return Problem(StatusCodes.Status400BadRequest, "offset", $"offset {offset} must be zero or positive");
        if (limit < 1 || limit > maxLimit) return Problem(StatusCodes.Status400BadRequest, "limit", $"limit {limit} must be in [1, {maxLimit}]");
        return null;
    }

    public static ProblemHttpResult NotFound(string field, string detail) => Problem(StatusCodes.Status404NotFound, field, detail);
}
