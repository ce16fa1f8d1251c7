namespace Pluggable.Core.Profiles;

/// <summary>How .NET tools spell a method, turned into how frames name it.</summary>
public static class MethodNames
{
    /// <summary>
    /// Cuts the parameter list, <c>(int32,class System.String)</c>, off the end of a method's name; the name may hold
    /// parentheses of its own (emitted code names methods freely), so only the balanced group at the end goes.
    /// </summary>
    public static string WithoutParameters(string fullMethodName)
    {
        if (!fullMethodName.EndsWith(')'))
        {
            return fullMethodName;
        }
        var depth = 0;
        for (var i = fullMethodName.Length - 1; i > 0; i--)
        {
            depth += fullMethodName[i] switch { ')' => 1, '(' => -1, _ => 0 };
            if (depth == 0)
            {
                return fullMethodName[..i];
            }
        }
        return fullMethodName;
    }
}
