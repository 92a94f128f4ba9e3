using EdgeVoice.Transceiver.Opus;
Console.WriteLine(new OpusFrameDecoder().Kind);
return 0;
