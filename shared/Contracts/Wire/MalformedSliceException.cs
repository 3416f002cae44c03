namespace FlMicroservices.Contracts.Wire;

/// <summary>Bytes on the update stream that are not a valid slice; the message says what is wrong.</summary>
public sealed class MalformedSliceException(string message) : Exception(message);
