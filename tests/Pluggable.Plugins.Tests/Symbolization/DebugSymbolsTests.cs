using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Pluggable.Core.Profiles;
using Pluggable.Symbolization;
using Pluggable.Testing;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Symbolization;

/// <summary>
/// libc as this test process maps it, and its real debug file from Debian's libc6-dbg: <c>start_thread</c> is in the
/// debug file's symbols only, so a libc frame there is named exactly when the debug file was found.
/// </summary>
public sealed class LibcFixture
{
    public LibcFixture()
    {
        Maps = ProcessMaps.Read(Environment.ProcessId);
        var code = Maps.Mappings.Where(m => m.FileName == "libc.so.6" && m.IsExecutable && m.IsFile).ToArray();
        Path = code[0].Path;
        var own = ElfSymbols.Load(Path, new DebugFileLocator([], systemDebugRoot: null))!;
        BuildId = own.BuildId!;
        var debugFile = System.IO.Path.Combine(DebugFileLocator.SystemDebugRoot, BuildId.BuildIdPath);
        var libm = ElfSymbols.Load("/usr/lib/x86_64-linux-gnu/libm.so.6", new DebugFileLocator([], systemDebugRoot: null))?.BuildId;
        var otherDebugFile = libm is null ? null : System.IO.Path.Combine(DebugFileLocator.SystemDebugRoot, libm.BuildIdPath);
        if (!File.Exists(debugFile) || otherDebugFile is null || !File.Exists(otherDebugFile))
        {
            return;
        }
        DebugFile = debugFile;
        OtherDebugFile = otherDebugFile;
        var startThread = FunctionAddress(debugFile, "start_thread");
        own.Symbols.Lookup(startThread).Should().BeNull("the stripped libc must not name start_thread itself, or naming it proves nothing");
        // Where the process has that virtual address: the executable mapping whose file range holds it.
        StartThread = code.Select(m => (Mapping: m, Virtual: own.ToVirtualAddress(m.Offset)))
            .Where(m => m.Virtual is { } start && startThread >= start && startThread < start + (m.Mapping.End - m.Mapping.Start))
            .Select(m => m.Mapping.Start + (startThread - m.Virtual!.Value) + 4)
            .Single();
    }

    public ProcessMaps Maps { get; }

    public string Path { get; }

    public BuildId BuildId { get; }

    /// <summary>libc's debug file as libc6-dbg installs it; null when it is not installed (tests/run.sh installs it).</summary>
    public string? DebugFile { get; }

    /// <summary>libm's debug file: a real debug file of another build id.</summary>
    public string? OtherDebugFile { get; }

    /// <summary>An address inside start_thread in this process.</summary>
    public ulong StartThread { get; }

    public const string NotInstalled = "Debian's libc6-dbg is not installed (apt-get install libc6-dbg; tests/run.sh does it as root)";

    private static ulong FunctionAddress(string elf, string name)
    {
        var nm = Process.Start(new ProcessStartInfo("nm", ["--defined-only", elf]) { RedirectStandardOutput = true })!;
        var line = nm.StandardOutput.ReadToEnd().Split('\n').Single(l => l.EndsWith($" t {name}", StringComparison.Ordinal) || l.EndsWith($" T {name}", StringComparison.Ordinal));
        nm.WaitForExit();
        return Convert.ToUInt64(line.Split(' ')[0], 16);
    }
}

public sealed class DebugSymbolsTests(LibcFixture libc) : IClassFixture<LibcFixture>, IDisposable
{
    private readonly TempFolder _folder = new("pluggable-symbols");

    private string ServedFolder => _folder.Sub("served");

    private string Cache => System.IO.Path.Combine(_folder.Path, "cache");

    private string CachedFile => System.IO.Path.Combine(Cache, libc.BuildId.SymbolFileKey!);

    public void Dispose() => _folder.Dispose();

    [SkippableFact]
    public async Task A_libc_frame_is_named_by_the_next_profile_once_the_server_sent_its_debug_file_and_the_first_does_not_wait()
    {
        Skip.If(libc.DebugFile is null, LibcFixture.NotInstalled);
        Serve(libc.DebugFile);
        await using var server = await SsqpServer.StartAsync(ServedFolder, hold: true);
        await using var fetcher = new SymbolServer(server.Address, Cache);

        // Built while the server holds its answer: a stop that waited for it would not finish here.
        var first = await Task.Run(() => Profile(Symbols(fetcher))).WaitAsync(TimeSpan.FromSeconds(30));

        server.Answered.Should().Be(0);
        Leaf(first).Should().MatchRegex(@"^libc\.so\.6\+0x[0-9a-f]+$");
        first.Metadata.Properties["missing-symbols"].Should().Be($"libc.so.6: being fetched from {server.Address} for the next profile");
        await server.WaitForRequestsAsync(1);
        server.Release();
        await WaitUntilAsync(() => File.Exists(CachedFile), "the fetched file should land in the cache");

        var next = Profile(Symbols(fetcher));

        Leaf(next).Should().Be("start_thread");
        next.Metadata.Properties.Should().NotContainKey("missing-symbols");
        File.ReadAllBytes(CachedFile).Should().Equal(File.ReadAllBytes(libc.DebugFile!), "the cache holds the served file under its SSQP key");
        Directory.EnumerateFiles(Cache, "*", SearchOption.AllDirectories).Should().ContainSingle("no temporary file is left beside it");
    }

    [SkippableTheory]
    [InlineData("ssqp")]
    [InlineData("ssqp-named")]
    [InlineData("build-id")]
    public void An_offline_folder_names_a_libc_frame_with_no_server(string layout)
    {
        Skip.If(libc.DebugFile is null, LibcFixture.NotInstalled);
        var offline = _folder.Sub("offline");
        var key = layout switch
        {
            "ssqp" => libc.BuildId.SymbolFileKey!,
            "ssqp-named" => libc.BuildId.NamedSymbolFileKey("libc.so.6")!,
            _ => libc.BuildId.BuildIdPath,
        };
        Place(libc.DebugFile!, System.IO.Path.Combine(offline, key));

        var profile = Profile(new DebugSymbols(new DebugFileLocator([offline, Cache], systemDebugRoot: null), server: null));

        Leaf(profile).Should().Be("start_thread");
        profile.Metadata.Properties.Should().NotContainKey("missing-symbols");
    }

    [SkippableFact]
    public void A_debug_file_of_another_build_in_a_folder_is_not_used()
    {
        Skip.If(libc.DebugFile is null, LibcFixture.NotInstalled);
        var offline = _folder.Sub("offline");
        // libc's own debug file with one byte of its build id changed: as a stale file of an earlier build would be, it
        // has more symbols than the stripped libc, so only the build id tells it apart.
        var stale = File.ReadAllBytes(libc.DebugFile!);
        var id = Convert.FromHexString(libc.BuildId.Hex);
        var at = stale.AsSpan().IndexOf(id);
        at.Should().BeGreaterThan(0);
        stale[at + id.Length - 1] ^= 0xff;
        var key = System.IO.Path.Combine(offline, libc.BuildId.BuildIdPath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(key)!);
        File.WriteAllBytes(key, stale);

        var profile = Profile(new DebugSymbols(new DebugFileLocator([offline], systemDebugRoot: null), server: null));

        Leaf(profile).Should().MatchRegex(@"^libc\.so\.6\+0x[0-9a-f]+$");
    }

    [SkippableFact]
    public void Without_a_debug_file_or_a_server_the_frame_keeps_its_offset_and_the_profile_says_why()
    {
        Skip.If(libc.DebugFile is null, LibcFixture.NotInstalled);

        var profile = Profile(new DebugSymbols(new DebugFileLocator([Cache], systemDebugRoot: null), server: null));

        Leaf(profile).Should().MatchRegex(@"^libc\.so\.6\+0x[0-9a-f]+$");
        profile.Metadata.Properties["missing-symbols"].Should().Be("libc.so.6: no debug file in the symbol folders, and no symbol server is set");
    }

    [SkippableTheory]
    [InlineData("down", "could not be reached")]
    [InlineData("another build's debug file", "sent a file of build id ")]
    [InlineData("an HTML page", "sent a file that is not an ELF file (text/html")]
    [InlineData("not found", "does not have it")]
    public async Task A_server_that_fails_leaves_the_frame_unnamed_caches_nothing_and_the_profile_says_why(string failure, string reason)
    {
        Skip.If(libc.DebugFile is null, LibcFixture.NotInstalled);
        if (failure == "another build's debug file")
        {
            Serve(libc.OtherDebugFile!);
        }
        var server = await SsqpServer.StartAsync(ServedFolder, answer: failure == "an HTML page" ? SignInPage : null);
        var address = server.Address;
        if (failure == "down")
        {
            await server.DisposeAsync();
        }
        await using var fetcher = new SymbolServer(address, Cache);

        Profile(Symbols(fetcher));
        await WaitUntilAsync(() => fetcher.Request(libc.BuildId).State == FetchState.Failed, "the fetch should have failed by now");
        var next = Profile(Symbols(fetcher));
        await server.DisposeAsync();

        Leaf(next).Should().MatchRegex(@"^libc\.so\.6\+0x[0-9a-f]+$");
        next.Metadata.Properties["missing-symbols"].Should().StartWith($"libc.so.6: {address}").And.Contain(reason).And.Contain("asked again after");
        (Directory.Exists(Cache) ? Directory.EnumerateFiles(Cache, "*", SearchOption.AllDirectories) : []).Should().BeEmpty();
    }

    [Fact]
    public async Task A_server_that_is_failing_is_asked_once_not_for_every_library_or_profile()
    {
        await using var server = await SsqpServer.StartAsync(ServedFolder, answer: context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        await using var fetcher = new SymbolServer(server.Address, Cache);
        var first = new BuildId("00112233445566778899aabbccddeeff00112233");
        var second = new BuildId("ffeeddccbbaa99887766554433221100ffeeddcc");

        fetcher.Request(first).State.Should().Be(FetchState.Pending);
        await WaitUntilAsync(() => fetcher.Request(first).State == FetchState.Failed, "the fetch should have failed by now");
        var later = fetcher.Request(second);
        await Task.Delay(200);

        later.State.Should().Be(FetchState.Failed);
        later.Reason.Should().Contain("503");
        server.Requests.Should().Be(1, "a server that failed is left alone for a while");
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_is_given_up_on()
    {
        await using var server = await SsqpServer.StartAsync(ServedFolder, hold: true);
        await using var fetcher = new SymbolServer(server.Address, Cache, timeout: TimeSpan.FromSeconds(1));
        var id = new BuildId("00112233445566778899aabbccddeeff00112233");

        fetcher.Request(id);
        await WaitUntilAsync(() => fetcher.Request(id).State == FetchState.Failed, "the fetch should have timed out by now");

        fetcher.Request(id).Reason.Should().StartWith($"{server.Address} did not send it within 1 s");
    }

    private DebugSymbols Symbols(SymbolServer fetcher) => new(new DebugFileLocator([Cache], systemDebugRoot: null), fetcher);

    /// <summary>A profile of one sample whose leaf is in start_thread, built as a sampler's stop builds it.</summary>
    private StackProfile Profile(DebugSymbols symbols)
    {
        var aggregator = new AddressStackAggregator(byThread: false);
        aggregator.Add(1, [libc.StartThread]);
        return aggregator.Build(new NativeStackSymbolizer(libc.Maps, ManagedCodeMap.Empty, KernelSymbols.None, symbols), new ProfileMetadata { Event = "cpu" }, null);
    }

    private static string Leaf(StackProfile profile) => profile.FrameNames(profile.Stacks.Single()).Last();

    private void Serve(string debugFile) => Place(debugFile, System.IO.Path.Combine(ServedFolder, libc.BuildId.SymbolFileKey!));

    private static void Place(string file, string at)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(at)!);
        File.Copy(file, at);
    }

    // What a captive portal or a misconfigured proxy answers for any URL.
    private static Task SignInPage(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("<!doctype html><html><body>Please sign in</body></html>")).AsTask();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        condition().Should().BeTrue(because);
    }
}
