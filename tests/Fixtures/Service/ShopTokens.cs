using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Pluggable.Fixtures.Service;

/// <summary>The bearer tokens the shop accepts: signed with one fixed key (a fixture, not a secret), issued to a customer.</summary>
public static class ShopTokens
{
    public const string Issuer = "pluggable-fixture";
    public const string Audience = "shop";

    public static SymmetricSecurityKey SigningKey { get; } = new(Encoding.UTF8.GetBytes("pluggable fixture signing key, not a secret, 256 bits"));

    public static string For(string customer) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new ClaimsIdentity([new Claim("sub", customer), new Claim("scope", "shop")]),
        Expires = DateTime.UtcNow.AddDays(1),
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
    });
}
