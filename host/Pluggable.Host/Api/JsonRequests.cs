using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;

namespace Pluggable.Host.Api;

/// <summary>A request the API refuses before it reaches the engine: wrong media type, malformed or oversized body.</summary>
internal sealed class BadRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>Reads JSON request bodies with Newtonsoft, so that a malformed body is answered with its line and position.</summary>
internal static class JsonRequests
{
    /// <summary>Bodies are small option objects; anything larger is refused before it is read.</summary>
    public const int MaxBodyBytes = 1 << 20;

    /// <summary>
    /// Reads the body as a JSON object; no body at all, or an empty one, is an empty object. A body sent as anything but
    /// <c>application/json</c> is refused (415), which also keeps HTML forms on other sites from posting here.
    /// </summary>
    public static async Task<JObject> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // A request without a body (curl -X POST) carries nothing to read, so it needs no Content-Type; a browser that
        // sends one from another site always says so in its Origin, and the request guard has refused it by now.
        if (!CanHaveBody(request))
        {
            return new JObject();
        }
        if (!IsJson(request.ContentType))
        {
            throw new BadRequestException(StatusCodes.Status415UnsupportedMediaType,
                $"send the body as JSON with Content-Type: application/json (got {(string.IsNullOrEmpty(request.ContentType) ? "none" : request.ContentType)})");
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new BadRequestException(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBodyBytes} bytes");
        }
        var buffer = new MemoryStream();
        await request.Body.CopyToAsync(new LimitedStream(buffer, MaxBodyBytes), cancellationToken);
        var text = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (string.IsNullOrWhiteSpace(text))
        {
            return new JObject();
        }
        try
        {
            return OptionsDocument.Parse(text, "request body");
        }
        catch (OptionsException e)
        {
            throw new BadRequestException(StatusCodes.Status400BadRequest, e.Message);
        }
    }

    /// <summary>Takes the fields a body may have, refusing any other so that a typo is not silently ignored.</summary>
    public static void AllowOnly(JObject body, params string[] fields)
    {
        foreach (var property in body.Properties())
        {
            if (!fields.Contains(property.Name))
            {
                throw new BadRequestException(StatusCodes.Status400BadRequest,
                    $"request body: '{property.Name}' is not a field here; the fields are {string.Join(", ", fields)}");
            }
        }
    }

    public static JObject? OptionalObject(JObject body, string field) => body[field] switch
    {
        null or { Type: JTokenType.Null } => null,
        JObject value => value,
        _ => throw new BadRequestException(StatusCodes.Status400BadRequest, $"request body: '{field}' must be an object"),
    };

    public static string? OptionalString(JObject body, string field) => body[field] switch
    {
        null or { Type: JTokenType.Null } => null,
        { Type: JTokenType.String } value => value.Value<string>(),
        _ => throw new BadRequestException(StatusCodes.Status400BadRequest, $"request body: '{field}' must be a string"),
    };

    public static int RequiredId(JObject body, string field, string what = "a profile id") => body[field] switch
    {
        // A whole number past long is a BigInteger, which Value<long>() cannot convert.
        JValue { Value: long id } when id is > 0 and <= int.MaxValue => (int)id,
        null => throw new BadRequestException(StatusCodes.Status400BadRequest, $"request body: '{field}' ({what}) is required"),
        _ => throw new BadRequestException(StatusCodes.Status400BadRequest, $"request body: '{field}' must be {what} (a positive whole number)"),
    };

    /// <summary>False when the request says it has no body: <c>Content-Length: 0</c>, or neither a length nor chunks.</summary>
    private static bool CanHaveBody(HttpRequest request) =>
        request.ContentLength != 0 && request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false;

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Stops copying once the body exceeds the cap, whatever Content-Length claimed (chunked bodies have none).</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (inner.Length + count > limit)
            {
                throw new BadRequestException(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {limit} bytes");
            }
            inner.Write(buffer, offset, count);
        }
    }
}
