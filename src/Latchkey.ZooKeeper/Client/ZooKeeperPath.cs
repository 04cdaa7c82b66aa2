namespace Latchkey.ZooKeeper.Client;

/// <summary>ZooKeeper's path rules: absolute, <c>/</c>-separated, no empty, <c>.</c> or <c>..</c> segment, no control characters.</summary>
internal static class ZooKeeperPath
{
    /// <summary>Returns why <paramref name="path"/> is invalid, or <see langword="null"/>. A sequential create may end with <c>/</c>.</summary>
    public static string? Validate(string path, bool sequential)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return "a path must start with '/'.";
        }

        if (path.Length == 1)
        {
            return null;
        }

        var checkedLength = sequential && path[^1] == '/' ? path.Length - 1 : path.Length;
        if (path[checkedLength - 1] == '/')
        {
            return "a path must not end with '/'.";
        }

        var segmentStart = 1;
        for (var i = 1; i <= checkedLength; i++)
        {
            if (i < checkedLength)
            {
                var c = path[i];
                if (c == '\0' || char.IsControl(c) || c is >= '\ufff0' and <= '\uffff' || (c is >= '\ud800' and <= '\uf8ff' && !char.IsSurrogate(c)))
                {
                    return $"character U+{(int)c:X4} at index {i} is not allowed.";
                }

                if (c != '/')
                {
                    continue;
                }
            }

            var segment = path.AsSpan(segmentStart, i - segmentStart);
            if (segment.Length == 0)
            {
                return $"empty segment at index {i}.";
            }

            if (segment is "." or "..")
            {
                return "'.' and '..' segments are not allowed.";
            }

            segmentStart = i + 1;
        }

        return null;
    }
}
