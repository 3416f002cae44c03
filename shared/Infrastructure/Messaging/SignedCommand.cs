namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>A message type that carries its issuing service's signature: who issues it.</summary>
/// <param name="Issuer">The only account whose key signs it.</param>
public abstract record SignedCommand(BrokerAccount Issuer);

/// <summary>A message type that carries its issuing service's signature: who issues it, where the signature sits and what it is about.</summary>
/// <param name="Issuer">The only account whose key signs it.</param>
/// <param name="Signature">Reads the signature (base64) off a message.</param>
/// <param name="WithSignature">The message with that signature (null: without one).</param>
/// <param name="Subject">What a message is about, for the reason a refusal records (e.g. "task-1/3").</param>
public sealed record SignedCommand<T>(BrokerAccount Issuer, Func<T, string?> Signature, Func<T, string?, T> WithSignature, Func<T, string> Subject)
    : SignedCommand(Issuer) where T : class;
