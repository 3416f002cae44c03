using RoundCompletedSubscriber;

// Usage: RoundCompletedSubscriber [AMQP-URI] [QUEUE]
// The broker comes from the argument, else ConnectionStrings__rabbitmq (as the services read it), else FL_RABBITMQ_URL.
const string usage = "usage: RoundCompletedSubscriber [amqp://USER:PASSWORD@HOST:5672/] [QUEUE] (or set ConnectionStrings__rabbitmq)";
var address = args.Length > 0 ? args[0]
    : Environment.GetEnvironmentVariable("ConnectionStrings__rabbitmq") ?? Environment.GetEnvironmentVariable("FL_RABBITMQ_URL");
var queue = args.Length > 1 ? args[1] : "round-completed-subscriber";
if (args.Length > 2 || string.IsNullOrWhiteSpace(address))
{
    Console.Error.WriteLine(usage);
    return 2;
}
if (!Uri.TryCreate(address, UriKind.Absolute, out var broker) || broker.Scheme is not ("amqp" or "amqps") || broker.Host.Length == 0)
{
    Console.Error.WriteLine($"broker address '{address}' must be an amqp:// or amqps:// URI with a host; {usage}");
    return 2;
}
if (queue.Length is 0 or > 255)
{
    Console.Error.WriteLine($"queue name '{queue}' must be 1 to 255 characters");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
try
{
    await using var subscription = await RoundCompletedSubscription.StartAsync(broker, queue,
        round => { Console.WriteLine(round); return Task.CompletedTask; },
        problem => Console.Error.WriteLine(problem), stop.Token);
    Console.Error.WriteLine($"listening on queue {queue} (bound to {RoundCompletedSubscription.Exchange}); Ctrl+C stops");
    await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    return 0;
}
catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
{
    Console.Error.WriteLine($"cannot subscribe at {broker.Host}:{broker.Port}: {e.Message}");
    return 1;
}
