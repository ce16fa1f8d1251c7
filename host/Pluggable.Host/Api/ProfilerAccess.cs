using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Pluggable.Host.Api;

/// <summary>
/// Who may use the profiler: anyone who reaches it (the default, on loopback), or, when a token is set, only requests
/// that carry it (<c>Authorization: Bearer &lt;token&gt;</c>) or the session cookie a browser gets from the one-time
/// login URL printed at start. Secrets are compared in constant time and never logged or put in a page.
/// </summary>
public sealed class ProfilerAccess
{
    public const string CookieName = "pluggable_session";

    private readonly byte[]? _tokenHash;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _sessions = [];
    private string? _loginCode;

    /// <param name="token">The token every request must carry, or null to let every request in.</param>
    public ProfilerAccess(string? token)
    {
        if (token is not null)
        {
            _tokenHash = Hash(token);
            _loginCode = NewSecret();
        }
    }

    /// <summary>The code of the one-time login URL (<c>login?code=...</c>), until it is used; null when no token is required.</summary>
    public string? LoginCode
    {
        get
        {
            lock (_lock)
            {
                return _loginCode;
            }
        }
    }

    /// <summary>Reads the token from a file (its first line, trimmed) or from PLUGGABLE_TOKEN; null when neither is given.</summary>
    public static string? ReadToken(string? tokenFile)
    {
        string? token;
        try
        {
            token = tokenFile is not null ? File.ReadLines(tokenFile).FirstOrDefault()?.Trim() : Environment.GetEnvironmentVariable("PLUGGABLE_TOKEN")?.Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HostConfigurationException($"--token-file: cannot read {tokenFile}: {e.Message}", e);
        }
        if (tokenFile is not null && string.IsNullOrEmpty(token))
        {
            throw new HostConfigurationException($"--token-file: {tokenFile} holds no token");
        }
        return string.IsNullOrEmpty(token) ? null : token;
    }

    public bool IsAllowed(HttpRequest request)
    {
        if (_tokenHash is null)
        {
            return true;
        }
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Hash(authorization["Bearer ".Length..].Trim()), _tokenHash))
        {
            return true;
        }
        if (request.Cookies.TryGetValue(CookieName, out var session))
        {
            lock (_lock)
            {
                return _sessions.Any(known => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(known), Encoding.UTF8.GetBytes(session)));
            }
        }
        return false;
    }

    /// <summary>Trades the one-time login code for a session (once); false when the code is wrong or already used.</summary>
    public bool TryLogin(string? code, out string session)
    {
        session = "";
        lock (_lock)
        {
            if (_loginCode is null || code is null || !CryptographicOperations.FixedTimeEquals(Hash(code), Hash(_loginCode)))
            {
                return false;
            }
            _loginCode = null;
            session = NewSecret();
            _sessions.Add(session);
            return true;
        }
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
