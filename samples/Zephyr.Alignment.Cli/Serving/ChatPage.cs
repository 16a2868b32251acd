using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Zephyr.Alignment.Cli.Serving;

/// <summary>The chat page at <c>/</c>: one plain HTML file with inline JS, embedded in the tool, no build step.</summary>
internal static class ChatPage
{
    private static readonly Lazy<string> Html = new(() =>
    {
        using Stream stream = typeof(ChatPage).Assembly.GetManifestResourceStream("Zephyr.Alignment.Cli.Serving.chat.html")
            ?? throw new InvalidOperationException("The chat page resource is missing from the zephyr tool.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static IEndpointRouteBuilder MapChatPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Content(Html.Value, "text/html; charset=utf-8"));
        return app;
    }
}
