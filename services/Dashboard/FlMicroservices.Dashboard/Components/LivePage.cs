using FlMicroservices.Dashboard.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Dashboard.Components;

/// <summary>A page that reacts to the platform's events while it is open: each event runs <see cref="OnLiveEventAsync"/> on the page's circuit.</summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private IDisposable? _subscription;

    [Inject] protected LiveEvents Live { get; set; } = null!;

    [Inject] protected OperatorApiClient Api { get; set; } = null!;

    [Inject] protected NavigationManager Navigation { get; set; } = null!;

    [Inject] protected IOptions<DashboardOptions> Options { get; set; } = null!;

    /// <summary>The last problem talking to the API, shown on the page; null when the last call succeeded.</summary>
    protected string? Error { get; set; }

    protected override void OnInitialized() =>
        _subscription = Live.Subscribe(e => InvokeAsync(async () =>
        {
            if (await OnLiveEventAsync(e)) StateHasChanged();
        }));

    /// <summary>Handles one event; true when the page changed.</summary>
    protected abstract Task<bool> OnLiveEventAsync(LiveEvent e);

    /// <summary>Runs an API call; a refusal or an unreachable API becomes <see cref="Error"/> instead of breaking the page.</summary>
    protected async Task<T?> CallAsync<T>(Func<CancellationToken, Task<T>> call) where T : class
    {
        try
        {
            var result = await call(CancellationToken.None);
            Error = null;
            return result;
        }
        catch (ApiProblemException e) when (SessionEnd.Redirect(Navigation, Options.Value, e))
        {
            Error = e.Message; // on the way to the sign-in page
        }
        catch (ApiProblemException e)
        {
            Error = e.Field is null ? e.Message : $"{e.Field}: {e.Message}";
        }
        catch (HttpRequestException e)
        {
            Error = $"The operator API cannot be reached: {e.Message}";
        }
        catch (TaskCanceledException)
        {
            Error = "The operator API did not answer in time";
        }
        return null;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        GC.SuppressFinalize(this);
    }
}
