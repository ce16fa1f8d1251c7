using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;

namespace Pluggable.Core.Tests.Options;

public class SymbolOptionsTests
{
    [Theory]
    [InlineData(null, "https://msdl.microsoft.com/download/symbols/")]
    [InlineData("http://127.0.0.1:9/symbols", "http://127.0.0.1:9/symbols/")]
    [InlineData("none", null)]
    public void Without_a_symbols_option_the_server_is_the_environments_else_Microsofts_and_the_cache_the_users(string? variable, string? server)
    {
        var before = Environment.GetEnvironmentVariable(SymbolOptions.ServerVariable);
        Environment.SetEnvironmentVariable(SymbolOptions.ServerVariable, variable);
        try
        {
            var symbols = ProfilingOptions.From(new JObject()).Symbols;

            symbols.Paths.Should().BeEmpty();
            symbols.Server.Should().Be(server is null ? null : new Uri(server));
            symbols.Cache.Should().Be(SymbolOptions.DefaultCache).And.EndWith("/pluggable/symbols");
        }
        finally
        {
            Environment.SetEnvironmentVariable(SymbolOptions.ServerVariable, before);
        }
    }

    [Fact]
    public void The_symbols_option_sets_folders_a_server_and_a_cache()
    {
        var symbols = ProfilingOptions.From(JObject.Parse("""{"symbols": {"paths": ["/srv/symbols", "/opt/dbg/"], "server": "http://symbols.example/store", "cache": "/var/cache/pluggable"}}""")).Symbols;

        symbols.Paths.Should().Equal("/srv/symbols", "/opt/dbg/");
        symbols.Server.Should().Be(new Uri("http://symbols.example/store/"), "keys are relative to the server's folder");
        symbols.Cache.Should().Be("/var/cache/pluggable");
    }

    [Fact]
    public void Server_none_turns_the_symbol_server_off()
    {
        ProfilingOptions.From(JObject.Parse("""{"symbols": {"server": "none"}}""")).Symbols.Server.Should().BeNull();
    }

    [Theory]
    [InlineData("""{"symbols": "/srv/symbols"}""", "symbols: expected an object*")]
    [InlineData("""{"symbols": {"folders": ["/srv"]}}""", "symbols.folders: not an option; the options are paths, server, cache")]
    [InlineData("""{"symbols": {"paths": "/srv/symbols"}}""", "symbols.paths: expected an array*")]
    [InlineData("""{"symbols": {"paths": ["/srv/symbols", "symbols"]}}""", "symbols.paths[1]: expected an absolute folder path*found \"symbols\"")]
    [InlineData("""{"symbols": {"paths": [3]}}""", "symbols.paths[0]: expected an absolute folder path*found 3")]
    [InlineData("""{"symbols": {"server": "ftp://symbols.example/"}}""", "symbols.server: expected an http or https URL*or \"none\"*")]
    [InlineData("""{"symbols": {"server": "msdl.microsoft.com"}}""", "symbols.server: expected an http or https URL*")]
    [InlineData("""{"symbols": {"server": false}}""", "symbols.server: expected an http or https URL*found false")]
    [InlineData("""{"symbols": {"cache": "cache"}}""", "symbols.cache: expected an absolute folder path*")]
    public void A_bad_symbols_value_is_refused_naming_where(string json, string message)
    {
        var act = () => ProfilingOptions.From(JObject.Parse(json));

        act.Should().Throw<OptionsException>().WithMessage(message);
    }
}
