using MassTransit;

namespace FlMicroservices.Testing;

/// <summary>The test harness's timeouts for every test: long enough for a loaded CI machine.</summary>
public static class HarnessTimeouts
{
    /// <summary>
    /// A 10-minute test timeout (the harness's own clock never ends a test that waits on its own deadline) and 20 s of
    /// inactivity before a harness query such as <c>Published.Any</c> gives up: a loaded machine may take seconds to deliver one message.
    /// </summary>
    public static IBusRegistrationConfigurator SetLoadedMachineTimeouts(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(10), testInactivityTimeout: TimeSpan.FromSeconds(20));
        return bus;
    }
}
