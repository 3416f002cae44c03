namespace FlMicroservices.Infrastructure;

/// <summary>A check at start-up that cannot pass (a broker that never answers, a topic that cannot be made); its message says what to do.</summary>
public sealed class StartupCheckException(string message) : Exception(message);
