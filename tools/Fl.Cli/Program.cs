using FlMicroservices.Cli;
using FlMicroservices.Training;

// Before any thread allocates: libtorch on pool threads would otherwise get an arena per thread (docs/benchmarks.md).
NativeHeap.LimitArenas();

return await CliRunner.RunAsync(CliRoot.Create(), args);
