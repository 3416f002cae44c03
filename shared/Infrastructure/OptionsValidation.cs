using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Infrastructure;

/// <summary>Validates an options object at start-up so that a bad setting stops the service with a message naming it.</summary>
public static class OptionsValidation
{
    public static void ThrowIfInvalid(object options, string section)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)) return;
        var problems = string.Join("; ", results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        throw new InvalidOperationException($"Invalid configuration: {problems}");
    }

    /// <summary>Binds <typeparamref name="T"/> from <paramref name="section"/>, validates it now, and registers it as IOptions.</summary>
    public static T AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section) where T : class, new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        ThrowIfInvalid(options, section);
        services.AddOptions<T>().Bind(configuration.GetSection(section));
        return options;
    }
}
