return await EdgeVoice.Relay.RelayHost.RunAsync(args);
