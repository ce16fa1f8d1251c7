using System.Net.Sockets;
using System.Text;

namespace Pluggable.Testing;

/// <summary>
/// Requests written byte for byte, for what HttpClient would change before sending: it normalizes dot segments in
/// paths and adds a <c>Content-Length: 0</c> to a POST without content, where an attacker's request line or a bare
/// <c>curl -X POST</c> reaches the server as written.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> with the Host of <paramref name="address"/> and <paramref name="headers"/> (each line ending in CRLF), and returns the response's status code.</summary>
    public static async Task<int> StatusAsync(Uri address, string method, string path, string headers = "")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: {address.Authority}\r\n{headers}Connection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync() ?? "";
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
