namespace Zephyr.Alignment.Data;

/// <summary>One element of a Parquet <c>list&lt;struct&lt;content, role&gt;&gt;</c> cell, before validation.</summary>
/// <param name="Present">Whether the struct itself is non-null.</param>
/// <param name="Content">The <c>content</c> string, or <see langword="null"/>.</param>
/// <param name="Role">The <c>role</c> string, or <see langword="null"/>.</param>
internal readonly record struct MessageCell(bool Present, string? Content, string? Role);
