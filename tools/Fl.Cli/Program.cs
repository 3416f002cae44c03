using FlMicroservices.Cli;

return await CliRunner.RunAsync(CliRoot.Create(), args);
