namespace EdgeVoice.Testing;

/// <summary>What a process watches on the file system, from the kernel's view of its descriptors.</summary>
public static class InotifyWatches
{
    /// <summary>The inotify watches the process holds: one "inotify wd:" line per watch in its fdinfo.</summary>
    public static int Of(int pid) =>
        Directory.GetFiles($"/proc/{pid}/fdinfo").Sum(fd =>
        {
            try
            {
                return File.ReadLines(fd).Count(line => line.StartsWith("inotify wd:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                return 0;  // the descriptor closed while it was read
            }
        });
}
